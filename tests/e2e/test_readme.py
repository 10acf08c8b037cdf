"""The README's commands, run as written (issue 12: its series curl failed
with `curl: (3) bad range`, its push had no --project, and nothing ran them).

Every ```sh block of README.md is taken from the file itself:
- `make ...` lines are dry-run (`make -n`) against the repository's
  Makefile: the targets exist, and `make run LISTEN=... DB=...` serves that
  database on that address;
- `build/benchvault serve ...` lines are started (their port made 0, a free
  one) and must come up listening;
- every other line runs, in order, in one bash (`set -euo pipefail`) in a
  temporary folder where `build/benchvault` is the binary under test, against
  the server `make run` starts (`serve --db ./benchvault.db --demo`).  The
  only change is the server's address: 127.0.0.1:8080 becomes the ephemeral
  port.  Each `# -> TEXT` comment is the output the command before it must
  print: `...` stands for anything, and numbers (run ids, which depend on
  the demo's size) match any number.
"""
import os
import re
import signal
import subprocess

from conftest import BIN

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
README = os.path.join(REPO, "README.md")


def sh_blocks():
    with open(README) as f:
        text = f.read()
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def expected_regex(comment):
    """`# -> TEXT` as a regex: '...' is anything, a number any number."""
    number = r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])"
    out = []
    for piece in re.split(f"(\\.\\.\\.|{number})", comment):
        if piece == "...":
            out.append(".*?")
        elif re.fullmatch(number, piece):
            out.append(r"\d+(?:\.\d+)?")
        else:
            out.append(re.escape(piece))
    return "".join(out)


def start_serve(argv, cwd):
    p = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    seen = []
    for _ in range(20):  # the demo's banner comes first
        seen.append(p.stdout.readline())
        m = re.search(r"listening on (http://[\d.]+:\d+)", seen[-1])
        if m:
            return p, m.group(1).replace("0.0.0.0", "127.0.0.1")
    p.kill()
    raise AssertionError(f"{argv} did not start: {seen!r}")


def stop(p):
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=60)
    p.stdout.close()
    return rc


def test_readme_has_the_commands_a_new_user_needs():
    text = "\n".join(sh_blocks())
    assert "curl" in text and " -g " in text
    assert re.search(r"benchvault push --server \S+ .*--project ", text)
    assert "make run LISTEN=" in text and " DB=" in text
    assert "benchvault serve --listen" in text and "--db" in text


def test_make_lines_dry_run(tmpdir_path):
    lines = [ln.split("#")[0].strip() for b in sh_blocks()
             for ln in b.splitlines() if ln.startswith("make ")]
    assert len(lines) >= 3, lines
    for ln in lines:
        args = ln.split()[1:]
        p = subprocess.run(["make", "-n", "-C", REPO, *args],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, (ln, p.stderr)
        vars_ = dict(a.split("=", 1) for a in args if "=" in a)
        if args[0] == "run":
            listen = vars_.get("LISTEN", "127.0.0.1:8080")
            db = vars_.get("DB", "./benchvault.db")
            assert f"serve --db {db} --listen {listen}" in p.stdout, p.stdout


def test_serve_lines_start(tmpdir_path):
    lines = [ln.split("#")[0].strip() for b in sh_blocks()
             for ln in b.splitlines()
             if ln.startswith("build/benchvault serve")]
    assert lines
    for ln in lines:
        argv = [BIN if a == "build/benchvault" else a for a in ln.split()]
        argv = [re.sub(r":\d+$", ":0", a) if re.fullmatch(
            r"[\d.]+:\d+", a) else a for a in argv]
        p, _ = start_serve(argv, tmpdir_path)
        assert stop(p) == 0


def test_readme_commands_run_as_written(tmpdir_path):
    os.mkdir(os.path.join(tmpdir_path, "build"))
    os.symlink(BIN, os.path.join(tmpdir_path, "build", "benchvault"))
    # what `make run` starts (test_make_lines_dry_run checks the recipe)
    srv, url = start_serve([BIN, "serve", "--db", "./benchvault.db",
                            "--listen", "127.0.0.1:0", "--demo"],
                           tmpdir_path)
    try:
        script, expects, step = ["set -euo pipefail"], [], 0
        for block in sh_blocks():
            first = block.lstrip().split("\n", 1)[0]
            if first.startswith("make ") or \
                    first.startswith("build/benchvault serve"):
                continue
            for ln in block.replace("http://127.0.0.1:8080",
                                    url).splitlines():
                m = re.match(r"# -> (.*)$", ln)
                if m:
                    script.append(f"printf '\\n@@step {step}@@\\n'")
                    expects.append(m.group(1))
                    step += 1
                else:
                    script.append(ln)
        assert len(expects) >= 6, expects
        env = dict(os.environ)
        for k in ("BENCHVAULT_SERVER", "BENCHVAULT_TOKEN",
                  "BENCHVAULT_PROJECT", "BENCHVAULT_DB"):
            env.pop(k, None)
        p = subprocess.run(["bash", "-c", "\n".join(script)],
                           cwd=tmpdir_path, capture_output=True, text=True,
                           env=env, timeout=600)
        assert p.returncode == 0, (p.stdout[-3000:], p.stderr[-3000:])
        outs = re.split(r"\n@@step \d+@@\n", p.stdout)
        assert len(outs) == len(expects) + 1
        for want, got in zip(expects, outs):
            assert re.search(expected_regex(want), got, re.S), (want, got)
        assert os.path.exists(os.path.join(tmpdir_path, "site",
                                           "index.html"))
    finally:
        assert stop(srv) == 0


# ---- docs/cli.md: every command's options, every analyze action ------------

CLI_MD = os.path.join(REPO, "docs", "cli.md")


def synopsis():
    """docs/cli.md's synopsis block: {"push": text, "analyze compare": ...}."""
    with open(CLI_MD) as f:
        block = re.search(r"^```\n(benchvault serve.*?)^```", f.read(),
                          re.S | re.M).group(1)
    out, cur = {}, None
    for ln in block.splitlines():
        m = re.match(r"benchvault (analyze \w+|\w+)", ln)
        if m:
            cur = m.group(1)
        if cur:
            out[cur] = out.get(cur, "") + " " + ln
    return out


def help_options(*cmd):
    p = subprocess.run([BIN, *cmd, "--help"], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, (cmd, p.stderr)
    return p.stdout, re.findall(r"^  (--[a-z0-9-]+)", p.stdout, re.M)


def test_cli_md_documents_every_option_and_analyze_action():
    syn = synopsis()
    out, _ = help_options("analyze")
    actions = re.findall(r"^  (\w+) ", out.split("actions:")[1], re.M)
    assert "changepoints" in actions and "describe" in actions
    commands = ["serve", "push", "token", "alerts", "compare", "report",
                "delete"]
    commands += [f"analyze {a}" for a in actions]
    missing = []
    for cmd in commands:
        assert cmd in syn, f"docs/cli.md has no synopsis of {cmd}"
        text, opts = help_options(*cmd.split())
        missing += [f"{cmd} {o}" for o in opts
                    if not re.search(re.escape(o) + r"\b", syn[cmd])]
        # an option's documented choices (--method hunter|permutation|ttest)
        for o, choices in re.findall(r"^  (--[a-z-]+) ([a-z]+(?:\|[a-z]+)+)",
                                     text, re.M):
            for c in choices.split("|"):
                if c not in syn[cmd]:
                    missing.append(f"{cmd} {o} {c}")
    assert not missing, missing
