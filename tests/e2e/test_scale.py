"""Costs independent of history (issue 15): the per-series summary, its
readers (dashboard, sparklines), several writers on one database, and gzip
answers.

The summary is derived data kept inside each ingest transaction; these tests
check what a client sees of it: the dashboard and sparklines agree with the
series API, two servers writing one database find the same change points as
one server does, and a database made before the summary existed gets its
summaries when it is opened.
"""
import gzip
import json
import os
import random
import sqlite3

import pytest
import requests

from conftest import Server, auth, make_token

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "schema")


def run_body(i, benches, value_of, project="p", branch="main"):
    return {"project": project, "branch": branch,
            "commit": {"sha": f"c{i:05d}",
                       "time": "2026-%02d-%02dT%02d:00:00Z" % (
                           1 + i // 672, 1 + (i // 24) % 28, i % 24)},
            "testbed": {"name": "ci"},
            "results": [{"benchmark": b, "measures": {"latency": {
                "unit": "ms", "value": value_of(i, b)}}} for b in benches]}


def post(srv, tok, body, project="p"):
    r = srv.post(f"/api/v1/projects/{project}/runs", data=json.dumps(body),
                 headers={**auth(tok), "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    return r.json()


def step_value(i, b):
    """10 ms with 1% noise; bench_b steps up 30% at run 30."""
    rnd = random.Random(f"{i}-{b}")
    v = 10.0 * (1 + rnd.gauss(0, 0.01))
    if b == "bench_b" and i >= 30:
        v *= 1.3
    return round(v, 6)


def change_points(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return sorted(con.execute(
            "SELECT b.key, c.kind, r.commit_sha, c.alert_id IS NOT NULL "
            "FROM change_point c JOIN benchmark b ON b.id = c.benchmark_id "
            "JOIN run r ON r.id = c.first_run_id").fetchall())
    finally:
        con.close()


def test_two_servers_one_database_find_what_one_server_finds(tmpdir_path):
    """Each server keeps the tails it examined in memory; a run the other
    server wrote must not be missed (the cache is checked against the
    series summary's count).  Alternating posts between two servers on one
    file give the same change points and alerts as one server."""
    benches = ["bench_a", "bench_b"]
    ref_db = os.path.join(tmpdir_path, "ref.db")
    tok = make_token(ref_db)
    ref = Server(ref_db).start()
    try:
        for i in range(50):
            post(ref, tok, run_body(i, benches, step_value))
    finally:
        assert ref.stop() == 0
    want = change_points(ref_db)
    assert any(k == "bench_b" and kind == "regression"
               for k, kind, _, _ in want), want

    db = os.path.join(tmpdir_path, "two.db")
    tok = make_token(db)
    a = Server(db, log=db + ".a.log").start()
    b = Server(db, log=db + ".b.log").start()
    try:
        for i in range(50):
            post(a if i % 2 == 0 else b, tok, run_body(i, benches, step_value))
    finally:
        assert a.stop() == 0
        assert b.stop() == 0
    assert change_points(db) == want


def test_dashboard_and_sparklines_read_the_summary(server):
    tok = server.write_token
    benches = [f"bench_{k:03d}" for k in range(250)]  # more than a page

    def val(i, b):
        return 1.0 + int(b[-3:]) * 0.01 + (i % 3) * 0.001
    for i in range(6):
        post(server, tok, run_body(i, benches, val))
    keys = set()
    page = 1
    while True:
        r = server.get(f"/p/p?sort=name&page={page}")
        assert r.status_code == 200
        found = [k for k in benches if f">{k}<" in r.text]
        if not found or page > 5:
            break
        keys.update(found)
        page += 1
    assert keys == set(benches)  # every series, across the pages

    # a sparkline: the summary's newest values, an ETag, then a 304
    url = "/p/p/charts/sparkline.png?benchmark=bench_007&measure=latency"
    r1 = server.get(url)
    assert r1.status_code == 200 and r1.content[:8] == b"\x89PNG\r\n\x1a\n"
    etag = r1.headers["ETag"]
    r2 = server.get(url, headers={"If-None-Match": etag})
    assert r2.status_code == 304
    # the default measure gives the same picture
    r3 = server.get("/p/p/charts/sparkline.png?benchmark=bench_007")
    assert r3.headers["ETag"] == etag
    # a new run changes what it shows, so its ETag
    post(server, tok, run_body(6, ["bench_007"], lambda i, b: 5.0))
    r4 = server.get(url, headers={"If-None-Match": etag})
    assert r4.status_code == 200 and r4.headers["ETag"] != etag
    # what the summary cannot answer still works (the full series)
    r5 = server.get(url + "&last=100&branch=main")
    assert r5.status_code == 200
    r6 = server.get("/p/p/charts/sparkline.png?benchmark=nope")
    assert r6.status_code == 404
    s = server.get("/api/v1/projects/p/series?benchmark=bench_007").json()
    assert s["points"][-1]["value"] == pytest.approx(5.0 / 1000)


def test_old_database_gets_its_summaries(tmpdir_path):
    """A database at schema 5 (before the summary) with results: opening it
    fills the summaries, and the dashboard shows every series with its
    newest value."""
    db = os.path.join(tmpdir_path, "old.db")
    con = sqlite3.connect(db)
    for name in sorted(os.listdir(SCHEMA)):
        if name[:4].isdigit() and name.endswith(".sql") and int(name[:4]) <= 4:
            con.executescript(open(os.path.join(SCHEMA, name)).read())
    con.execute("PRAGMA user_version = 5")
    con.execute("INSERT INTO project (id, slug, created_at) VALUES (1, 'old', 0)")
    con.execute("INSERT INTO branch VALUES (1, 1, 'main', 0)")
    con.execute("INSERT INTO testbed (id, project_id, name, created_at) "
                "VALUES (1, 1, 'ci', 0)")
    con.execute("INSERT INTO measure VALUES (1, 1, 'latency', 's', 'lower', 0)")
    for b in range(3):
        con.execute("INSERT INTO benchmark VALUES (?, 1, ?, '{}', ?, 0)",
                    (b + 1, f"old_{b}", f"old_{b}"))
    rid = 0
    for i in range(40):
        rid += 1
        # commit times out of ingest order: the summary follows commit order
        t = 1_000_000 + ((i * 7) % 40) * 60_000
        con.execute("INSERT INTO run (id, project_id, branch_id, testbed_id, "
                    "commit_sha, commit_time, created_at, format) VALUES "
                    "(?, 1, 1, 1, ?, ?, ?, 'benchvault/v1')",
                    (rid, f"s{i}", t, t))
        for b in range(3):
            con.execute("INSERT INTO result (run_id, benchmark_id, measure_id, "
                        "value) VALUES (?, ?, 1, ?)",
                        (rid, b + 1, 0.001 * (b + 1) + t * 1e-12))
    con.commit()
    con.close()
    srv = Server(db).start()
    try:
        r = srv.get("/p/old?sort=name")
        assert r.status_code == 200
        for b in range(3):
            s = srv.get(f"/api/v1/projects/old/series?benchmark=old_{b}").json()
            assert len(s["points"]) == 40
            assert f">old_{b}<" in r.text
    finally:
        assert srv.stop() == 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = con.execute("SELECT benchmark_id, npoints, last_time, length(tail) "
                       "FROM series_summary ORDER BY benchmark_id").fetchall()
    con.close()
    assert rows == [(b + 1, 40, 1_000_000 + 39 * 60_000, 32 * 8)
                    for b in range(3)]


def test_gzip_when_asked(server):
    tok = server.write_token
    benches = [f"bench_{k:03d}" for k in range(60)]
    for i in range(2):
        post(server, tok, run_body(i, benches, lambda i, b: 1.0 + i))
    runs = server.get("/api/v1/projects/p/runs").json()["runs"]
    url = (f"/api/v1/projects/p/compare?base={runs[1]['id']}"
           f"&head={runs[0]['id']}")
    plain = server.get(url, headers={"Accept-Encoding": "identity"},
                       stream=True)
    body = plain.raw.read()
    assert "Content-Encoding" not in plain.headers
    assert plain.headers["Vary"] == "Accept-Encoding"
    assert len(body) > 1024
    z = server.get(url, headers={"Accept-Encoding": "br, gzip;q=0.5"},
                   stream=True)
    raw = z.raw.read()
    assert z.headers["Content-Encoding"] == "gzip"
    assert z.headers["Vary"] == "Accept-Encoding"
    assert int(z.headers["Content-Length"]) == len(raw) < len(body) / 3
    assert gzip.decompress(raw) == body
    # refused, or not offered: plain
    for ae in ("gzip;q=0", "br", "*;q=0", "identity", "gzip;q=x",
               "*, gzip;q=0"):
        r = server.get(url, headers={"Accept-Encoding": ae}, stream=True)
        assert r.headers.get("Content-Encoding") is None, ae
        assert r.raw.read() == body
    r = server.get(url, headers={"Accept-Encoding": "*"}, stream=True)
    assert r.headers["Content-Encoding"] == "gzip"
    # pages too; small answers and images are never compressed
    page = server.get(f"/p/p/runs/{runs[0]['id']}",
                      headers={"Accept-Encoding": "gzip"}, stream=True)
    assert page.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(page.raw.read()).startswith(b"<!DOCTYPE html>")
    small = server.get("/api/health", headers={"Accept-Encoding": "gzip"})
    assert small.headers.get("Content-Encoding") is None
    png = server.get("/p/p/charts/sparkline.png?benchmark=bench_001",
                     headers={"Accept-Encoding": "gzip"})
    assert png.headers.get("Content-Encoding") is None
    assert "Vary" not in png.headers
    # an error's problem+json follows the same rule (it is small: plain)
    bad = server.get("/api/v1/projects/p/compare?base=x&head=y",
                     headers={"Accept-Encoding": "gzip"})
    assert bad.status_code in (400, 404, 422)
    assert bad.headers.get("Content-Encoding") is None


def test_comparisons_kept_until_the_project_changes(tmpdir_path):
    """The run page and the compare answer are computed once per project
    version and kept; a run written by another server (here one that sorts
    before the head, so it joins the head's baseline) or new budgets make
    the next view compute afresh, on every server."""
    db = os.path.join(tmpdir_path, "kept.db")
    tok = make_token(db)
    a = Server(db, log=db + ".a.log").start()
    b = Server(db, log=db + ".b.log").start()
    try:
        benches = [f"bench_{k}" for k in range(30)]
        for i in (0, 2, 4, 6):
            post(a, tok, run_body(i * 10, benches,
                                  lambda i, b: 1.0 + 0.01 * (i % 7)))
        head = a.get("/api/v1/projects/p/runs?limit=1").json()["runs"][0]
        url = f"/api/v1/projects/p/compare?head={head['id']}"
        page = f"/p/p/runs/{head['id']}"
        a1, a1p = a.get(url).json(), a.get(page).text
        assert a.get(url).json() == a1 and a.get(page).text == a1p
        # another server stores a run that joins the head's baseline
        post(b, tok, run_body(35, benches, lambda i, b: 3.0))
        a2, a2p = a.get(url).json(), a.get(page).text
        assert a2 != a1 and a2p != a1p
        assert a2 == b.get(url).json() and a2p == b.get(page).text
        # budgets are part of a comparison too
        r = requests.put(
            b.url + "/api/v1/projects/p/budgets",
            data=json.dumps({"budgets": [{"benchmark": "*", "measure":
                                          "latency", "max": 1, "unit": "ms"}]}),
            headers={**auth(tok), "Content-Type": "application/json"},
            timeout=30)
        assert r.status_code in (200, 201, 204), r.text
        a3 = a.get(url).json()
        assert a3["budgets"] != a2["budgets"]
        assert a3 == b.get(url).json()
    finally:
        assert a.stop() == 0
        assert b.stop() == 0
