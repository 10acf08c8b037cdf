"""Install and run as a service (issue 16): `DESTDIR=... cmake --install`,
the man page written from the help texts, the systemd unit checked by
`systemd-analyze verify`, `--version` with the commit, and the config
file's precedence (command line > environment > file)."""
import os
import re
import shutil
import subprocess

import pytest

from conftest import BIN, run_cli

BUILD = os.path.dirname(os.path.abspath(BIN))


def commands():
    out = run_cli("--help").stdout
    return re.findall(r"^  ([a-z]+) ", out, re.M)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    d = str(tmp_path_factory.mktemp("root"))
    p = subprocess.run(["cmake", "--install", BUILD, "--prefix", "/usr"],
                       env=dict(os.environ, DESTDIR=d), capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr + p.stdout
    return d


def test_install_tree(root):
    for f in ("usr/bin/benchvault", "usr/share/man/man1/benchvault.1",
              "usr/share/doc/benchvault/README.md",
              "usr/share/doc/benchvault/docs/api.md",
              "usr/lib/systemd/system/benchvault.service",
              "etc/benchvault.conf"):
        assert os.path.exists(os.path.join(root, f)), f
    exe = os.path.join(root, "usr/bin/benchvault")
    assert os.access(exe, os.X_OK)
    v = subprocess.run([exe, "--version"], capture_output=True, text=True)
    assert re.match(r"benchvault \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}",
                    v.stdout), v.stdout


def test_man_page_lists_every_subcommand(root):
    with open(os.path.join(root, "usr/share/man/man1/benchvault.1")) as f:
        man = f.read()
    cmds = commands()
    assert len(cmds) >= 10, cmds
    for c in cmds:
        assert f".SS {c}\n" in man, c
        # and its options, from its own --help
        first_opt = re.search(r"^  (--[a-z-]+)",
                              run_cli(c, "--help").stdout, re.M)
        if first_opt:
            assert first_opt.group(1).replace("-", r"\-") in man or \
                first_opt.group(1) in man, (c, first_opt.group(1))
    if shutil.which("man"):
        p = subprocess.run(["man", "-l", os.path.join(
            root, "usr/share/man/man1/benchvault.1")], capture_output=True,
            text=True, env=dict(os.environ, MANWIDTH="80"))
        assert p.returncode == 0 and "restore" in p.stdout


def verify(root, unit):
    return subprocess.run(["systemd-analyze", "verify", "--man=no",
                           f"--root={root}",
                           unit], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.skipif(not shutil.which("systemd-analyze"),
                    reason="systemd-analyze is not installed (Debian "
                           "systemd; `make deps` installs it)")
def test_systemd_unit_verifies(root):
    # verify resolves the unit's dependencies (multi-user.target ...) in
    # the root: give it the machine's own unit files.
    units = os.path.join(root, "usr/lib/systemd/system")
    for f in os.listdir("/lib/systemd/system"):
        src = os.path.join("/lib/systemd/system", f)
        if f.endswith((".target", ".slice")) and os.path.isfile(src) \
                and not os.path.exists(os.path.join(units, f)):
            shutil.copy(src, units)
    unit = "/usr/lib/systemd/system/benchvault.service"
    p = verify(root, unit)
    assert p.returncode == 0 and p.stderr.strip() == "", p.stderr
    with open(root + unit) as f:
        text = f.read()
    for opt in ("DynamicUser=yes", "ProtectSystem=strict",
                "StateDirectory=benchvault"):
        assert opt in text
    # The check can fail: a unit whose binary is missing is refused.
    bad = os.path.join(units, "benchvault-bad.service")
    with open(bad, "w") as f:
        f.write(text.replace("/usr/bin/benchvault", "/usr/bin/nonexistent"))
    p = verify(root, "/usr/lib/systemd/system/benchvault-bad.service")
    assert p.returncode != 0, p.stderr


def serve_db(tmp, env_extra, *flags):
    """The db a `serve` would use: its start banner names it."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("BENCHVAULT_")}
    env.update(env_extra)
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", *flags],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env, cwd=tmp)
    try:
        line = p.stdout.readline()
    finally:
        p.terminate()
        out, err = p.communicate(timeout=60)
    return p.returncode, line + out, err


def test_config_file_precedence(tmp_path):
    tmp = str(tmp_path)
    conf = os.path.join(tmp, "bv.conf")
    with open(conf, "w") as f:
        f.write("# a comment\nthreads = 2\n[serve]\ndb = from-file.db\n"
                "[push]\nretries = 9\n")
    rc, out, err = serve_db(tmp, {"BENCHVAULT_CONFIG": conf})
    assert os.path.exists(os.path.join(tmp, "from-file.db")), (out, err)
    rc, out, err = serve_db(tmp, {"BENCHVAULT_CONFIG": conf,
                                  "BENCHVAULT_DB": "from-env.db"})
    assert os.path.exists(os.path.join(tmp, "from-env.db")), (out, err)
    rc, out, err = serve_db(tmp, {"BENCHVAULT_CONFIG": conf,
                                  "BENCHVAULT_DB": "from-env2.db"},
                            "--db", "from-flag.db")
    assert os.path.exists(os.path.join(tmp, "from-flag.db"))
    assert not os.path.exists(os.path.join(tmp, "from-env2.db"))
    # A typo in a command's section names the file and the line.
    with open(conf, "a") as f:
        f.write("[serve]\nlisten-port = 9\n")
    rc, out, err = serve_db(tmp, {"BENCHVAULT_CONFIG": conf})
    assert rc == 2 and "bv.conf:8" in err and "--listen-port" in err, err
    # A bad value is refused like a bad flag.
    with open(conf, "w") as f:
        f.write("[serve]\nthreads = many\n")
    rc, out, err = serve_db(tmp, {"BENCHVAULT_CONFIG": conf})
    assert rc == 2 and "bv.conf:2" in err, err
    # A named file that is missing is an error; an empty name is none.
    rc, out, err = serve_db(tmp, {"BENCHVAULT_CONFIG": conf + ".missing"})
    assert rc == 2 and "cannot be read" in err
    rc, out, err = serve_db(tmp, {"BENCHVAULT_CONFIG": ""})
    assert os.path.exists(os.path.join(tmp, "benchvault.db"))
