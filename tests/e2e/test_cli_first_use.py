"""The command line as a new user meets it (issue 12): pushing real tool
outputs twice, duplicate protection with --db, databases that must exist,
flags that beat the environment, JSON output for jq, and a report that
cannot write its files."""
import json
import os
import resource
import signal
import sqlite3
import subprocess

import pytest

from conftest import BIN, Server, count_rows, make_token, native_run, run_cli

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")

# Every result file of shared/fixtures/ (the README, the sources and
# locustfile.py are not results), as copied into tests/data: the tool
# outputs are the format cases' inputs (byte for byte), locust's CSV files
# are in tests/data/fixtures/locust/.  Locust goes up the documented way
# (the --csv PREFIX) and its stats file alone.
FIXTURES = [
    ("pytest-benchmark/baseline.json", "formats/valid/pytest_baseline/input.json"),
    ("pytest-benchmark/saved_stats_only.json",
     "formats/valid/pytest_saved_stats_only/input.json"),
    ("google-benchmark/reps5_full.json",
     "formats/valid/gbench_reps5_full/input.json"),
    ("google-benchmark/single_run_with_context.json",
     "formats/valid/gbench_single_run_with_context/input.json"),
    ("hyperfine/compare_3_commands.json",
     "formats/valid/hyperfine_compare_3_commands/input.json"),
    ("hyperfine/param_scan_gzip_level.json",
     "formats/valid/hyperfine_param_scan_gzip_level/input.json"),
    ("locust/locust_run (the --csv prefix)", "fixtures/locust/locust_run"),
    ("locust/locust_run_stats.csv", "fixtures/locust/locust_run_stats.csv"),
]


def data(rel):
    return os.path.normpath(os.path.join(DATA, rel))


def runs_in(db):
    return count_rows(db)["run"]


def push_json(*args, env=None):
    """`push --json ARGS`: the answers, one JSON object per line."""
    p = run_cli("push", "--json", *args, env=env)
    return [json.loads(line) for line in p.stdout.splitlines()]


# ---- 1: one Idempotency-Key per content, over the whole content --------------

def test_push_all_fixtures_twice_stores_each_once(server):
    """The acceptance test of issue 12: every shared fixture pushed one
    after another with `push --server`, twice, is stored exactly once (the
    files over 8 KiB once shared one key, and the second was refused)."""
    env = {"BENCHVAULT_TOKEN": server.write_token}
    sizes = [os.path.getsize(data(rel)) for _, rel in FIXTURES
             if os.path.exists(data(rel))]
    assert sum(s > 8192 for s in sizes) >= 4  # the files the bug hit
    for rnd in range(2):
        for i, (name, rel) in enumerate(FIXTURES):
            p = run_cli("push", "--server", server.url, "--project",
                        "fixtures", data(rel), env=env, check=False)
            assert p.returncode == 0, (rnd, name, p.stderr[-2000:])
            assert runs_in(server.db) == (len(FIXTURES) if rnd else i + 1)
            if rnd:
                assert "already stored as run" in p.stdout, (name, p.stdout)
    runs = server.get("/api/v1/projects/fixtures/runs?limit=100").json()
    assert len({r["id"] for r in runs["runs"]}) == len(FIXTURES)


def test_push_key_covers_the_overrides_and_the_last_byte(server,
                                                         tmpdir_path):
    env = {"BENCHVAULT_TOKEN": server.write_token}
    src = data("formats/valid/pytest_baseline/input.json")
    with open(src, "rb") as f:
        body = f.read()
    twin = os.path.join(tmpdir_path, "twin.json")
    # the same 292 KB with one byte changed at the very end (white space)
    with open(twin, "wb") as f:
        f.write(body.rstrip() + b" \n")
    ids = set()
    for args in (["--branch", "b1", src], ["--branch", "b2", src],
                 ["--branch", "b1", twin]):
        (ans,) = push_json("--server", server.url, "--project", "keys",
                           *args, env=env)
        assert "idempotent_replay" not in ans
        ids.add(ans["run_id"])
    assert len(ids) == 3
    (ans,) = push_json("--server", server.url, "--project", "keys",
                       "--branch", "b2", src, env=env)
    assert "idempotent_replay" in ans and ans["run_id"] in ids


# ---- 9: --db has the same protection; flags beat the environment -------------

def test_push_db_twice_stores_once(tmpdir_path):
    db = os.path.join(tmpdir_path, "direct.db")
    big = data("formats/valid/gbench_reps5_full/input.json")
    small = data("formats/valid/hyperfine_compare_3_commands/input.json")
    p = run_cli("push", "--db", db, "--create", "--project", "d", big, small)
    assert "stored run 1" in p.stdout and "stored run 2" in p.stdout
    p = run_cli("push", "--db", db, "--project", "d", big, small)
    assert "already stored as run 1" in p.stdout
    assert "already stored as run 2" in p.stdout
    assert runs_in(db) == 2
    # the key is the server path's: an override makes another run
    (ans,) = push_json("--db", db, "--project", "d", "--branch", "x", small)
    assert ans["run_id"] == 3 and "idempotent_replay" not in ans
    (ans,) = push_json("--db", db, "--project", "d", "--branch", "x", small)
    assert ans["run_id"] == 3 and "idempotent_replay" in ans
    assert runs_in(db) == 3


def test_flags_beat_the_environment(tmpdir_path, server):
    db = os.path.join(tmpdir_path, "flags.db")
    f = os.path.join(tmpdir_path, "run.json")
    with open(f, "w") as fh:
        json.dump(native_run(), fh)
    dead = {"BENCHVAULT_SERVER": "http://127.0.0.1:9",
            "BENCHVAULT_TOKEN": server.write_token}
    # --db on the command line wins over BENCHVAULT_SERVER ...
    p = run_cli("push", "--db", db, "--create", f, env=dead)
    assert "stored run 1" in p.stdout
    p = run_cli("alerts", "list", "--db", db, "--project", "alpha-q",
                env=dead)
    assert json.loads(p.stdout)["alerts"] == []
    # ... and --server over an environment --db has nothing to beat, but
    # both as flags is still a usage error naming them
    p = run_cli("push", "--db", db, "--server", server.url, f, env=dead,
                check=False)
    assert p.returncode == 2 and "--server" in p.stderr and "--db" in p.stderr
    assert runs_in(db) == 1 and runs_in(server.db) == 0
    # the environment alone still works
    p = run_cli("push", f, env={"BENCHVAULT_SERVER": server.url,
                                "BENCHVAULT_TOKEN": server.write_token})
    assert "stored run 1" in p.stdout


def test_token_project_must_be_a_project_name(tmpdir_path, server):
    for bad in ("Bad!", "-lead", "a b", "a/b", ""):
        p = run_cli("token", "create", "--db", server.db, "--project", bad,
                    check=False)
        assert p.returncode == 2, (bad, p.stdout)
        assert "--project" in p.stderr and p.stdout == ""
    con = sqlite3.connect(f"file:{server.db}?mode=ro", uri=True)
    try:
        assert con.execute("SELECT count(*) FROM token WHERE project IS NOT "
                           "NULL").fetchone()[0] == 0
    finally:
        con.close()
    # a good one is accepted and works on the server
    tok = make_token(server.db, "write", project="alpha-q")
    r = server.post("/api/v1/projects/alpha-q/runs", json=native_run(),
                    headers={"Authorization": f"Bearer {tok}"})
    assert r.status_code == 201, r.text


# ---- 8: only serve (or --create) makes a database ----------------------------

@pytest.mark.parametrize("args", [
    ["token", "create"], ["token", "list"], ["token", "revoke", "x"],
    ["alerts", "list", "--project", "p"],
    ["alerts", "settings", "--project", "p", "--window", "30"],
    ["compare", "--project", "p", "--head", "1"],
    ["report", "--project", "p", "--out", "site"],
    ["push", "run.json"],
])
def test_a_missing_database_is_refused_not_made(tmpdir_path, args):
    f = os.path.join(tmpdir_path, "run.json")
    with open(f, "w") as fh:
        json.dump(native_run(), fh)
    for name in ("typo.db", "empty.db"):
        db = os.path.join(tmpdir_path, name)
        if name == "empty.db":
            open(db, "w").close()
        argv = [f if a == "run.json" else a for a in args]
        argv = [os.path.join(tmpdir_path, a) if a == "site" else a
                for a in argv]
        p = run_cli(*argv, "--db", db, check=False)
        assert p.returncode == 2, (argv, p.stdout, p.stderr)
        assert db in p.stderr, p.stderr  # named, with what is wrong
        assert "bv_" not in p.stdout
        if name == "typo.db":
            assert not os.path.exists(db), argv
        else:
            assert os.path.getsize(db) == 0, argv
        assert not os.path.exists(db + "-wal")


def test_create_makes_the_database_on_request(tmpdir_path):
    db = os.path.join(tmpdir_path, "sub", "new.db")
    os.mkdir(os.path.dirname(db))
    secret = run_cli("token", "create", "--db", db, "--create",
                     "--name", "first").stdout.strip()
    assert secret.startswith("bv_")
    # and the server accepts that token
    s = Server(db).start()
    try:
        r = s.post("/api/v1/projects/alpha-q/runs", json=native_run(),
                   headers={"Authorization": f"Bearer {secret}"})
        assert r.status_code == 201, r.text
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]
    # --create on an existing database changes nothing
    run_cli("token", "create", "--db", db, "--create", "--name", "second")
    assert "second" in run_cli("token", "list", "--db", db).stdout
    assert runs_in(db) == 1


# ---- 14: output jq can read --------------------------------------------------

def test_push_json_is_json_lines_and_default_is_readable(server,
                                                        tmpdir_path):
    env = {"BENCHVAULT_TOKEN": server.write_token}
    files = []
    for i in range(2):
        f = os.path.join(tmpdir_path, f"r{i}.json")
        with open(f, "w") as fh:
            json.dump(native_run(sha=f"c{i}", n=2), fh)
        files.append(f)
    p = run_cli("push", "--json", "--server", server.url, *files, env=env)
    lines = p.stdout.splitlines()
    assert len(lines) == 2
    for f, line in zip(files, lines):
        ans = json.loads(line)
        assert ans["file"] == f and ans["results"] == 2
        assert ans["url"] == f"/p/alpha-q/runs/{ans['run_id']}"
        assert ans["alerts"] == [] and ans["warnings"] == []
    # jq reads it as it is (one object per line)
    jq = subprocess.run(["jq", "-r", ".run_id"], input=p.stdout,
                        capture_output=True, text=True) \
        if os.path.exists("/usr/bin/jq") else None
    if jq is not None:
        assert jq.returncode == 0 and jq.stdout.split() == ["1", "2"]
    # the default is a sentence per file, not "path: {json}"
    p = run_cli("push", "--server", server.url, files[0], env=env)
    assert p.stdout == (f"{files[0]}: already stored as run 1, "
                        f"{server.url}/p/alpha-q/runs/1 (nothing new "
                        "stored)\n")
    assert "{" not in p.stdout


# ---- 7: a report that cannot write its files ---------------------------------

def test_report_on_a_write_failure_exits_cleanly(tmpdir_path, server):
    r = server.post("/api/v1/projects/alpha-q/runs",
                    json=native_run(n=3, samples=[1.0, 1.1, 1.2]),
                    headers={"Authorization": f"Bearer {server.write_token}"})
    assert r.status_code == 201
    out = os.path.join(tmpdir_path, "site")
    os.mkdir(out)
    # Every file the report writes grows past the first 64 bytes: with
    # RLIMIT_FSIZE at 64 and SIGXFSZ ignored, write(2) fails with EFBIG,
    # whether fwrite meets it (a large page) or fclose does (a small file
    # still in the stdio buffer).
    for limit in (64, 5000):
        def limited():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        env = dict(os.environ)
        env.pop("BENCHVAULT_PROJECT", None)
        p = subprocess.run([BIN, "report", "--db", server.db, "--project",
                            "alpha-q", "--out", out],
                           capture_output=True, text=True, env=env,
                           preexec_fn=limited, timeout=120)
        assert p.returncode == 2, (limit, p.returncode, p.stderr[-3000:])
        assert "File too large" in p.stderr, p.stderr[-3000:]
        assert "Sanitizer" not in p.stderr and "double free" not in p.stderr


def test_output_to_a_full_disk_is_an_error(tmpdir_path):
    """The sibling of the report's fclose: every command's standard output
    is checked once at the end (a secret written to a full disk is lost,
    and the exit status must say so)."""
    db = os.path.join(tmpdir_path, "full.db")
    run_cli("token", "create", "--db", db, "--create", "--name", "a")
    with open("/dev/full", "w") as full:
        for argv, stdin in ((["analyze", "describe"], "1 2 3 4 5\n"),
                            (["token", "list", "--db", db], None),
                            (["token", "create", "--db", db, "--name", "b"],
                             None)):
            p = subprocess.run([BIN, *argv], stdout=full,
                               stderr=subprocess.PIPE, text=True,
                               input=stdin, timeout=60)
            assert p.returncode == 2, (argv, p.stderr)
            assert "cannot write standard output" in p.stderr, p.stderr


def test_requests_too_long_to_build_are_refused(server, tmpdir_path):
    """Siblings of push's unchecked append: a URL or header that does not
    fit its 8 KiB buffer is an error naming the option, not a request sent
    cut (an empty URL read as 'unreachable', an empty Authorization header
    read as a 401)."""
    long_server = server.url + "/" + "x" * 9000
    p = run_cli("alerts", "list", "--server", long_server, "--project", "a",
                check=False)
    assert p.returncode == 2 and "--server" in p.stderr, p.stderr
    p = run_cli("alerts", "ack", "1", "--server", server.url, "--token",
                "t" * 9000, check=False)
    assert p.returncode == 2 and "--token" in p.stderr, p.stderr
    f = os.path.join(tmpdir_path, "run.json")
    with open(f, "w") as fh:
        json.dump(native_run(), fh)
    p = run_cli("push", "--retries", "0", "--server", long_server, f,
                env={"BENCHVAULT_TOKEN": server.write_token}, check=False)
    assert p.returncode == 2 and "--server" in p.stderr, p.stderr
    p = run_cli("push", "--server", server.url, "--token", "t" * 9000, f,
                check=False)
    assert p.returncode == 2 and "--token" in p.stderr, p.stderr
    assert runs_in(server.db) == 0


def test_bench_result_file_on_a_full_disk_fails_the_bench():
    """The same mistake in bench/: bench_stats wrote its --json result with
    an unchecked fprintf and fclose, so a lost result still exited 0."""
    exe = os.path.join(os.path.dirname(BIN), "bench", "bench_stats")
    assert os.path.exists(exe), exe  # built with the rest (make test)
    small = ["--pairs", "5", "--samples", "20", "--bootstrap", "10"]
    p = subprocess.run([exe, *small, "--json", "/dev/full"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "cannot write /dev/full" in p.stderr
    p = subprocess.run([exe, *small, "--json", "/dev/null"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
