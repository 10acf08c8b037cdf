"""The HTTP API against the real server: ingest, reads, errors, auth."""
import json
import math
import os
import shutil
import subprocess
import time

import pytest
import requests

from conftest import (Server, auth, count_rows, make_token, native_run,
                      run_cli)


def post_run(server, body, project="alpha-q", token=None, headers=None,
             **kw):
    h = {"Content-Type": "application/json"}
    h.update(auth(token or server.write_token))
    if headers:
        h.update(headers)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return server.post(f"/api/v1/projects/{project}/runs", data=data,
                       headers=h, **kw)


def test_health(server):
    r = server.get("/api/health")
    assert r.status_code == 200
    j = r.json()
    assert j["status"] == "ok" and j["db"] == "ok" and j["version"]


def test_ingest_and_series_in_canonical_units(server):
    r = post_run(server, native_run(latency_ms=12.3))
    assert r.status_code == 201, r.text
    j = r.json()
    assert j["run_id"] >= 1 and j["results"] == 1
    assert j["url"] == f"/p/alpha-q/runs/{j['run_id']}"
    assert j["alerts"] == [] and isinstance(j["warnings"], list)
    s = server.get("/api/v1/projects/alpha-q/series",
                   params={"benchmark": "bench_0[size=0]"})
    assert s.status_code == 200, s.text
    sj = s.json()
    assert sj["unit"] == "s" and sj["measure"] == "latency"
    assert len(sj["points"]) == 1
    p = sj["points"][0]
    assert math.isclose(p["value"], 0.0123, rel_tol=1e-12)
    assert p["run_id"] == j["run_id"] and p["commit"] == "3f2a9c1"
    # by id too
    bid = sj["benchmark"]["id"]
    s2 = server.get("/api/v1/projects/alpha-q/series",
                    params={"benchmark": str(bid), "measure": "latency"})
    assert s2.json()["points"] == sj["points"]


def test_idempotency_key(server):
    body = native_run(sha="aaa111")
    r1 = post_run(server, body, headers={"Idempotency-Key": "k-1"})
    assert r1.status_code == 201, r1.text
    r2 = post_run(server, body, headers={"Idempotency-Key": "k-1"})
    assert r2.status_code == 200, r2.text
    assert r2.json()["run_id"] == r1.json()["run_id"]
    assert count_rows(server.db)["run"] == 1
    # the same key with another body is a conflict, and stores nothing
    r3 = post_run(server, native_run(sha="bbb222"),
                  headers={"Idempotency-Key": "k-1"})
    assert r3.status_code == 409, r3.text
    assert count_rows(server.db)["run"] == 1
    # another key stores another run
    r4 = post_run(server, body, headers={"Idempotency-Key": "k-2"})
    assert r4.status_code == 201
    assert count_rows(server.db)["run"] == 2


def problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    j = r.json()
    assert j["status"] == status and j["title"]
    return j


REJECTED = [
    # (name, body or callable, expected status, expected pointer or None)
    ("malformed", b'{"results": [', 400, None),
    ("empty", b"", 400, None),
    ("string_value",
     json.dumps(native_run()).replace("12.3", '"12.3"').encode(), 422,
     "/results/0/measures/latency/value"),
    ("unknown_unit",
     json.dumps(native_run()).replace('"ms"', '"parsecs"').encode(), 422,
     "/results/0/measures/latency/unit"),
    ("nan_value", json.dumps(native_run()).replace("12.3", "NaN").encode(),
     422, "/results/0/measures/latency/value"),
    ("no_results", json.dumps({"project": "alpha-q", "results": []}).encode(),
     422, "/results"),
]


@pytest.mark.parametrize("name,body,status,pointer", REJECTED,
                         ids=[c[0] for c in REJECTED])
def test_rejected_bodies_store_nothing(server, name, body, status, pointer):
    before = count_rows(server.db)
    r = post_run(server, body)
    j = problem(r, status)
    if pointer is not None:
        ptrs = [e["pointer"] for e in j.get("errors", [])]
        assert pointer in ptrs, j
        assert all(e["message"] for e in j["errors"])
    assert count_rows(server.db) == before


def test_auth(server):
    db = server.db
    before = count_rows(db)
    body = json.dumps(native_run())
    h = {"Content-Type": "application/json"}
    r = server.post("/api/v1/projects/alpha-q/runs", data=body, headers=h)
    problem(r, 401)
    assert "Bearer" in r.headers.get("WWW-Authenticate", "")
    r = server.post("/api/v1/projects/alpha-q/runs", data=body,
                    headers={**h, **auth("bv_" + "0" * 64)})
    problem(r, 401)
    read = make_token(db, "read", name="reader")
    problem(post_run(server, native_run(), token=read), 403)
    other = make_token(db, "write", project="other-proj", name="other")
    problem(post_run(server, native_run(), token=other), 403)
    assert count_rows(db) == before
    # a project token works for its project
    mine = make_token(db, "write", project="alpha-q", name="mine")
    assert post_run(server, native_run(), token=mine).status_code == 201
    # revoked tokens stop working
    run_cli("token", "revoke", "--db", db, "mine")
    problem(post_run(server, native_run(sha="x2"), token=mine), 401)


def test_wrong_content_type(server):
    before = count_rows(server.db)
    r = post_run(server, json.dumps(native_run()),
                 headers={"Content-Type": "text/plain"})
    problem(r, 415)
    assert count_rows(server.db) == before


def test_project_mismatch_and_bad_slug(server):
    r = post_run(server, native_run(project="beta"), project="alpha-q")
    j = problem(r, 422)
    assert any(e["pointer"] == "/project" for e in j["errors"])
    problem(post_run(server, native_run(), project="bad%20slug"), 400)


def test_reads(server):
    for sha in ("c1", "c2", "c3"):
        body = native_run(sha=sha, n=2, samples=[12.0, 12.5, 13.0],
                          testbed={"name": "ci-8c", "cores": 8})
        assert post_run(server, body).status_code == 201
    j = server.get("/api/v1/projects").json()
    assert [p["slug"] for p in j["projects"]] == ["alpha-q"]
    assert j["projects"][0]["runs"] == 3
    b = server.get("/api/v1/projects/alpha-q/benchmarks").json()
    assert [x["key"] for x in b["benchmarks"]] == ["bench_0[size=0]",
                                                   "bench_1[size=1]"]
    assert b["benchmarks"][1]["params"] == {"size": 1}
    m = server.get("/api/v1/projects/alpha-q/measures").json()
    assert m["measures"][0]["name"] == "latency"
    assert m["measures"][0]["unit"] == "s"
    assert m["measures"][0]["direction"] == "lower"
    br = server.get("/api/v1/projects/alpha-q/branches").json()
    assert [x["name"] for x in br["branches"]] == ["main"]
    tb = server.get("/api/v1/projects/alpha-q/testbeds").json()
    assert tb["testbeds"][0]["name"] == "ci-8c"
    assert tb["testbeds"][0]["info"]["cores"] == 8
    runs = server.get("/api/v1/projects/alpha-q/runs?limit=2").json()
    assert [r["commit"]["sha"] for r in runs["runs"]] == ["c3", "c2"]
    assert runs["runs"][0]["result_count"] == 2
    nxt = runs["next_before"]
    page2 = server.get(f"/api/v1/projects/alpha-q/runs?limit=2&before={nxt}")
    assert [r["commit"]["sha"] for r in page2.json()["runs"]] == ["c1"]
    rid = runs["runs"][0]["id"]
    one = server.get(f"/api/v1/projects/alpha-q/runs/{rid}").json()
    assert one["id"] == rid and len(one["results"]) == 2
    res = one["results"][0]
    assert res["samples"] == pytest.approx([0.012, 0.0125, 0.013],
                                           rel=1e-12)
    assert res["unit"] == "s" and res["n"] == 3
    # errors on reads
    problem(server.get("/api/v1/projects/nope/benchmarks"), 404)
    problem(server.get("/api/v1/projects/alpha-q/runs/999999"), 404)
    problem(server.get("/api/v1/projects/alpha-q/runs?limit=0"), 400)
    problem(server.get("/api/v1/projects/alpha-q/series"), 400)
    problem(server.get("/api/v1/projects/alpha-q/series?benchmark=nope"),
            404)
    problem(server.get("/api/v1/nothing-here"), 404)
    problem(server.post("/api/health"), 405)


def test_metrics(server):
    assert post_run(server, native_run()).status_code == 201
    server.get("/api/health")
    t = server.get("/metrics")
    assert t.status_code == 200
    assert t.headers["Content-Type"].startswith("text/plain")
    body = t.text
    assert 'benchvault_http_requests_total{route="ingest",status="201"} 1' \
        in body
    assert "benchvault_http_request_duration_seconds_bucket" in body
    assert "benchvault_runs_ingested_total 1" in body
    assert "benchvault_results_ingested_total 1" in body
    assert "benchvault_db_size_bytes" in body
    # the standard process metrics, with values that make sense
    vals = {}
    for line in body.splitlines():
        if line.startswith("process_"):
            k, v = line.split(" ")
            vals[k] = float(v)
    assert set(vals) == {"process_cpu_seconds_total",
                         "process_virtual_memory_bytes",
                         "process_resident_memory_bytes",
                         "process_start_time_seconds", "process_open_fds",
                         "process_max_fds"}, vals
    assert 1 << 20 < vals["process_resident_memory_bytes"] < 8 << 30
    assert vals["process_virtual_memory_bytes"] >= \
        vals["process_resident_memory_bytes"]
    assert abs(vals["process_start_time_seconds"] - time.time()) < 3600
    assert 3 <= vals["process_open_fds"] <= vals["process_max_fds"]
    assert vals["process_cpu_seconds_total"] >= 0
    # every project gets its alert gauges, also with no alert
    assert 'benchvault_alerts_open{project="' in body
    promtool = shutil.which("promtool")
    if promtool:  # Debian's prometheus (the Makefile installs it)
        r = subprocess.run([promtool, "check", "metrics"], input=body,
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    else:
        print("promtool not installed: the exposition format check skipped")


def test_request_log_line(server):
    server.get("/api/health")
    # one line per request: method, path, status, bytes, milliseconds
    import re
    import time
    for _ in range(50):
        if re.search(r"GET /api/health 200 \d+ [0-9.]+ms", server.logtext()):
            return
        time.sleep(0.05)
    raise AssertionError(server.logtext())


def test_body_limit(tmpdir_path):
    db = os.path.join(tmpdir_path, "small.db")
    tok = make_token(db)
    s = Server(db, ["--max-body", "4KiB"]).start()
    try:
        s.write_token = tok
        big = native_run(n=80)
        data = json.dumps(big).encode()
        assert len(data) > 4096
        before = count_rows(db)
        problem(post_run(s, data), 413)

        def chunks():
            for i in range(0, len(data), 1000):
                yield data[i:i + 1000]
        r = requests.post(s.url + "/api/v1/projects/alpha-q/runs",
                          data=chunks(), timeout=30,
                          headers={**auth(tok),
                                   "Content-Type": "application/json"})
        problem(r, 413)
        assert count_rows(db) == before
        assert post_run(s, native_run()).status_code == 201
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]


def test_private_reads(tmpdir_path):
    db = os.path.join(tmpdir_path, "priv.db")
    w = make_token(db, "write")
    rd = make_token(db, "read", name="r")
    s = Server(db, ["--private"]).start()
    try:
        s.write_token = w
        assert post_run(s, native_run()).status_code == 201
        problem(s.get("/api/v1/projects"), 401)
        assert s.get("/api/v1/projects", headers=auth(rd)).status_code == 200
        assert s.get("/api/v1/projects/alpha-q/runs",
                     headers=auth(rd)).status_code == 200
        assert s.get("/api/health").status_code == 200
    finally:
        assert s.stop() == 0, s.logtext()[-3000:]
