"""The command line: help, version, tokens, push (HTTP and --db), demo."""
import json
import os
import re
import sqlite3

import pytest

from conftest import Server, count_rows, make_token, native_run, run_cli


@pytest.mark.parametrize("cmd", [[], ["serve"], ["push"], ["token"]])
def test_help(cmd):
    p = run_cli(*cmd, "--help")
    assert "usage: benchvault" in p.stdout


def test_version_and_unknown():
    assert re.match(r"benchvault \d+\.\d+\.\d+", run_cli("--version").stdout)
    p = run_cli("frobnicate", check=False)
    assert p.returncode == 2 and "unknown command" in p.stderr
    p = run_cli("serve", "--no-such-flag", check=False)
    assert p.returncode == 2 and "--no-such-flag" in p.stderr
    p = run_cli("serve", "--threads", "zero", check=False)
    assert p.returncode == 2 and "--threads" in p.stderr


def test_tokens(tmpdir_path):
    db = os.path.join(tmpdir_path, "t.db")
    secret = make_token(db, "read", project="alpha", name="ci-read")
    assert re.fullmatch(r"bv_[0-9a-f]{64}", secret)
    lst = run_cli("token", "list", "--db", db).stdout
    assert "ci-read" in lst and "read" in lst and "alpha" in lst
    assert secret not in lst
    con = sqlite3.connect(db)
    stored = [r[0] for r in con.execute("SELECT hash FROM token")]
    con.close()
    assert all(secret.encode() not in bytes(h) for h in stored)
    run_cli("token", "revoke", "--db", db, "ci-read")
    assert "revoked" in run_cli("token", "list", "--db", db).stdout.lower() \
        or run_cli("token", "list", "--db", db).stdout.count("-") > 0
    p = run_cli("token", "revoke", "--db", db, "nope", check=False)
    assert p.returncode == 2
    p = run_cli("token", "create", "--db", db, "--scope", "root",
                check=False)
    assert p.returncode == 2 and "scope" in p.stderr


def stored_runs(db):
    """The stored content of every run, without ids and ingest times."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        q = """SELECT p.slug, b.name, t.name, r.commit_sha, r.commit_time,
                      bm.key, bm.params, m.name, m.unit, m.direction,
                      res.value, res.mean, res.median, res.stddev, res.n,
                      hex(res.samples)
               FROM result res JOIN run r ON r.id = res.run_id
               JOIN project p ON p.id = r.project_id
               JOIN branch b ON b.id = r.branch_id
               JOIN testbed t ON t.id = r.testbed_id
               JOIN benchmark bm ON bm.id = res.benchmark_id
               JOIN measure m ON m.id = res.measure_id
               ORDER BY r.id, bm.key, m.name"""
        return con.execute(q).fetchall()
    finally:
        con.close()


def test_push_db_and_http_store_the_same(tmpdir_path, server):
    f = os.path.join(tmpdir_path, "run.json")
    body = native_run(n=3, samples=[1.5, 2.0, 2.5])
    with open(f, "w") as fh:
        json.dump(body, fh)
    db2 = os.path.join(tmpdir_path, "direct.db")
    p = run_cli("push", "--db", db2, "--create", "--branch", "feature-x", f)
    assert "stored run 1" in p.stdout
    p = run_cli("push", "--server", server.url, "--branch", "feature-x", f,
                env={"BENCHVAULT_TOKEN": server.write_token})
    assert "stored run 1" in p.stdout
    assert stored_runs(db2) == stored_runs(server.db)
    assert stored_runs(db2)[0][1] == "feature-x"
    # the same push again is an idempotent replay: one run
    run_cli("push", "--server", server.url, "--branch", "feature-x", f,
            env={"BENCHVAULT_TOKEN": server.write_token})
    assert count_rows(server.db)["run"] == 1


def test_push_errors(tmpdir_path, server):
    bad = os.path.join(tmpdir_path, "bad.json")
    with open(bad, "w") as fh:
        fh.write(json.dumps(native_run()).replace('"ms"', '"parsecs"'))
    p = run_cli("push", "--server", server.url, "--token",
                server.write_token, bad, check=False)
    assert p.returncode == 2
    assert "/results/0/measures/latency/unit" in p.stderr
    p = run_cli("push", "--server", server.url, bad + ".missing",
                check=False)
    assert p.returncode == 2
    good = os.path.join(tmpdir_path, "good.json")
    with open(good, "w") as fh:
        json.dump(native_run(), fh)
    # no token: the server refuses (401) and push says so
    p = run_cli("push", "--server", server.url, good, check=False)
    assert p.returncode == 2 and "401" in p.stderr
    # nothing listening: exit 3 after the retries
    p = run_cli("push", "--server", "http://127.0.0.1:9", "--retries", "1",
                "--token", "x", good, check=False)
    assert p.returncode == 3
    assert count_rows(server.db)["run"] == 0


def test_demo_on_new_database(tmpdir_path):
    db = os.path.join(tmpdir_path, "demo.db")
    s = Server(db, ["--demo"])
    s.start()
    try:
        runs = s.get("/api/v1/projects/demo/runs?limit=1000").json()["runs"]
        assert len(runs) == 60
        projects = s.get("/api/v1/projects").json()["projects"]
        assert "synthetic" in projects[0]["description"]
        benches = s.get("/api/v1/projects/demo/benchmarks").json()
        assert len(benches["benchmarks"]) == 5
        pts = s.get("/api/v1/projects/demo/series",
                    params={"benchmark": "sort_ints[n=100000]",
                            "measure": "latency"}).json()["points"]
        assert len(pts) == 60
        before = sorted(p["value"] for p in pts[:42])[21]
        after = sorted(p["value"] for p in pts[42:])[9]
        assert 1.08 < after / before < 1.25
        # the injected regression opened its alerts (latency and the
        # throughput derived from it), on the right commit range, and
        # nothing else did
        alerts = s.get("/api/v1/projects/demo/alerts").json()["alerts"]
        assert {(a["benchmark"]["key"], a["measure"]) for a in alerts} == {
            ("sort_ints[n=100000]", "latency"),
            ("sort_ints[n=100000]", "throughput")}
        assert all(a["first_bad_run"]["commit"] == pts[42]["commit"] and
                   a["last_good_run"]["commit"] == pts[41]["commit"]
                   for a in alerts)
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]
    # a second start on the same database loads nothing again
    s = Server(db, ["--demo"]).start()
    try:
        assert len(s.get("/api/v1/projects/demo/runs?limit=1000")
                   .json()["runs"]) == 60
    finally:
        assert s.stop() == 0


def test_push_db_examines_change_points(tmpdir_path):
    """`push --db` runs get the change-point examination a server ingest
    gets: a +20% step opens one alert on the right commit range."""
    db = os.path.join(tmpdir_path, "cp.db")
    for i in range(40):
        body = native_run(sha=f"s{i:03d}",
                          latency_ms=(12.0 if i >= 25 else 10.0) *
                          (1 + 0.01 * ((i * 7) % 5 - 2)))
        body["commit"]["time"] = f"2026-10-{1 + i // 24:02d}T{i % 24:02d}:00:00Z"
        f = os.path.join(tmpdir_path, f"r{i}.json")
        with open(f, "w") as fh:
            json.dump(body, fh)
        run_cli("push", "--db", db, "--create", f)
    s = Server(db).start()
    try:
        alerts = s.get("/api/v1/projects/alpha-q/alerts").json()["alerts"]
        assert len(alerts) == 1, alerts
        assert alerts[0]["first_bad_run"]["commit"] == "s025"
        assert alerts[0]["last_good_run"]["commit"] == "s024"
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]
