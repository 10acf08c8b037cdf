"""Bytes that break JSON (issue 13.3): a hostile corpus through every input.

Every string that reaches the store passes one check (core/text.c): valid
UTF-8 (no 0xff, no overlong C0 80, no surrogate ED A0 80), no NUL or control
character, not blank, bounded length (param values too).  The corpus is
posted through every input a client has: the ingest query overrides, the
body fields of the native format and of pytest-benchmark, the budgets PUT,
the alert PATCH, the CLI's push flags and token names.  Each is refused (400 naming the
parameter for a query override or flag, 400/422 naming the field for a
body), and afterwards every GET JSON endpoint of the project is fetched,
decoded as strict UTF-8 and parsed, and checked for no trace of what was
refused.  Right-to-left and zero-width text is valid UTF-8 and is stored as
data.

The repair test writes invalid UTF-8 into a version-3 database with sqlite3
directly (what earlier versions let through), opens it with the server, and
checks that the migration repaired it and every list answers valid JSON.
"""
import glob
import gzip
import json
import os
import sqlite3
import subprocess

import requests

from conftest import BIN, Server, auth, make_token

PROJECT = "hostile"
MARK = "zqx"  # in every refused value that can hold text: must never show
SCHEMA = os.path.join(os.path.dirname(__file__), "..", "..", "schema")

# Query-string values, percent-encoded as a client would send them.
QUERY_BAD = {
    "ff": MARK + "%ff",
    "overlong": MARK + "%c0%80",
    "surrogate": MARK + "%ed%a0%80",
    "nul": MARK + "a%00b",
    "control": MARK + "%1b%5b31m",
    "c1": MARK + "%c2%85",
    "newline": MARK + "%0a",
    "empty": "",
    "blank": "%20%20%20",
    "tab_only": "%09",
    "too_long": MARK + "x" * 300,
}
# Valid UTF-8 that looks odd: stored as given.
ODD_VALID = {
    "rtl": "\u202e" + "evil",
    "zero_width": "a\u200bb\u200dc",
    "hebrew": "\u05e9\u05dc\u05d5\u05dd",
}

# JSON string literals (as written inside a body) that must be refused.
JSON_BAD = {
    "nul": '"' + MARK + 'a\\u0000b"',
    "control": '"' + MARK + '\\u001b[31m"',
    "c1": '"' + MARK + '\\u0085"',
    "lone_surrogate": '"' + MARK + '\\ud800"',
    "blank": '"   "',
    "empty": '""',
    "too_long": '"' + MARK + "n" * 300 + '"',
}
# Raw bytes inside a JSON string: not UTF-8 at all.
RAW_BAD = {
    "ff": MARK.encode() + b"\xff",
    "overlong": MARK.encode() + b"\xc0\x80",
    "surrogate": MARK.encode() + b"\xed\xa0\x80",
}
MEGABYTE = '"' + MARK + "v" * (1 << 20) + '"'


def native(branch='"main"', sha='"c1"', testbed='"ci"', bench='"b"',
           measure='"latency"', pkey='"size"', pval="1", meta='"ok"'):
    """A native body with the given JSON literals spliced in."""
    return ('{"format": "benchvault/v1", "project": "%s", "branch": %s, '
            '"commit": {"sha": %s, "message": "m"}, "testbed": %s, '
            '"results": [{"benchmark": %s, "params": {%s: %s}, '
            '"measures": {%s: {"unit": "ms", "value": 1.5}}}], '
            '"metadata": {"note": %s}}'
            % (PROJECT, branch, sha, testbed, bench, pkey, pval, measure,
               meta))


def pytest_body(node='"box"', branch='"main"', sha='"c2"', name='"test_a"',
                pval='"p"', extra='"e"'):
    return ('{"machine_info": {"node": %s, "cpu": {"brand_raw": "x"}}, '
            '"commit_info": {"id": %s, "branch": %s, "dirty": false}, '
            '"benchmarks": [{"group": null, "name": %s, '
            '"fullname": "t.py::test_a", "params": {"k": %s}, '
            '"extra_info": {"note": %s}, "stats": {"min": 1, "max": 1, '
            '"mean": 1, "stddev": 0, "rounds": 1, "median": 1, "iqr": 0, '
            '"q1": 1, "q3": 1, "iqr_outliers": 0, "stddev_outliers": 0, '
            '"outliers": "0;0", "ld15iqr": 1, "hd15iqr": 1, "ops": 1, '
            '"total": 1, "iterations": 1}}], '
            '"datetime": "2026-11-26T12:00:00", "version": "4.0.0"}'
            % (node, sha, branch, name, pval, extra))


def strict_json(r):
    """The answer decoded as strict UTF-8 and parsed as JSON."""
    text = r.content.decode("utf-8", errors="strict")
    return text, json.loads(text)


def ingest(s, body, query="", ctype="application/json"):
    if isinstance(body, str):
        body = body.encode()
    return s.post(f"/api/v1/projects/{PROJECT}/runs{query}", data=body,
                  headers={"Content-Type": ctype, **auth(s.write_token)})


def refused(r, what, parameter=None, statuses=(400, 422)):
    assert r.status_code in statuses, (what, r.status_code, r.text[:300])
    assert r.headers["Content-Type"] == "application/problem+json", what
    _, p = strict_json(r)
    if parameter:
        assert [e.get("parameter") for e in p.get("errors", [])] \
            == [parameter], (what, p)
    return p


def names_the_field(p, field, what):
    text = p.get("detail", "") + " ".join(
        (e.get("pointer") or "") + " " + e.get("message", "")
        for e in p.get("errors", []))
    assert field in text or "line 1" in text, (what, field, p)


def test_hostile_corpus_through_every_input(server):
    s = server
    # A valid run first, so that every list has something in it.
    r = ingest(s, native())
    assert r.status_code == 201, r.text
    run_id = r.json()["run_id"]

    # 1. Query overrides: 400, naming the parameter; a NUL too.
    for field in ("branch", "commit", "testbed", "base_branch"):
        for what, v in QUERY_BAD.items():
            r = ingest(s, native(), f"?{field}={v}")
            refused(r, (field, what), parameter=field, statuses=(400,))
    r = ingest(s, native(), "?pr=%ff")
    refused(r, "pr", parameter="pr", statuses=(400,))
    # Any other query parameter of the ingest route must be text too.
    r = ingest(s, native(), "?note=" + MARK + "%ff")
    refused(r, "note", parameter="note", statuses=(400,))
    # The Idempotency-Key header is stored with the run: text too.
    for v in (MARK.encode() + b"\xff", MARK.encode() + b"\xc0\x80",
              MARK.encode() + b"\xed\xa0\x80"):
        r = s.post(f"/api/v1/projects/{PROJECT}/runs", data=native(),
                   headers={"Content-Type": "application/json",
                            "Idempotency-Key": v, **auth(s.write_token)})
        p = refused(r, ("Idempotency-Key", v), statuses=(400,))
        assert "Idempotency-Key" in p["detail"], p
    # A compressed body is refused, never read as the format's bytes.
    for enc in ("gzip", "br", "deflate"):
        r = s.post(f"/api/v1/projects/{PROJECT}/runs",
                   data=gzip.compress(native().encode()),
                   headers={"Content-Type": "application/json",
                            "Content-Encoding": enc, **auth(s.write_token)})
        p = refused(r, enc, statuses=(415,))
        assert "Content-Encoding" in p["detail"], p

    # 2. Native body fields.
    fields = {"branch": "branch", "sha": "commit/sha", "testbed": "testbed",
              "bench": "benchmark", "measure": "measures", "pkey": "params",
              "pval": "params/size", "meta": "metadata/note"}
    for arg, field in fields.items():
        for what, lit in JSON_BAD.items():
            if arg in ("meta",) and what in ("blank", "empty", "too_long"):
                continue  # free text: blank is data, 300 bytes is short
            if arg == "pval" and what in ("blank", "empty"):
                continue  # a param value may be empty (pytest ids)
            p = refused(ingest(s, native(**{arg: lit})), (arg, what))
            names_the_field(p, field.split("/")[0], (arg, what))
        for what, raw in RAW_BAD.items():
            body = native(**{arg: '"@@"'}).encode().replace(b"@@", raw)
            refused(ingest(s, body), (arg, what), statuses=(400,))
    p = refused(ingest(s, native(pval=MEGABYTE)), "1 MB param value")
    assert p["errors"][0]["pointer"] == "/results/0/params/size", p
    assert "longer than 256 bytes" in p["errors"][0]["message"], p
    p = refused(ingest(s, native(meta=MEGABYTE)), "1 MB metadata string")
    assert p["errors"][0]["pointer"] == "/metadata/note", p

    # 3. pytest-benchmark body fields.
    for arg in ("node", "branch", "sha", "name", "pval", "extra"):
        for what, lit in JSON_BAD.items():
            if arg in ("pval", "extra") and what in ("blank", "empty"):
                continue
            if what == "empty":
                continue  # pytest writes "" for "not known": absent
            if arg == "extra" and what == "too_long":
                continue
            if arg == "name" and what in ("blank", "empty", "too_long"):
                continue  # pytest names also make the family; checked above
            refused(ingest(s, pytest_body(**{arg: lit})), ("pytest", arg,
                                                            what))
        for what, raw in RAW_BAD.items():
            body = pytest_body(**{arg: '"@@"'}).encode().replace(b"@@", raw)
            refused(ingest(s, body), ("pytest", arg, what), statuses=(400,))

    # Odd but valid text is data, through the query and the body.
    for what, v in ODD_VALID.items():
        r = s.post(f"/api/v1/projects/{PROJECT}/runs",
                   params={"testbed": v, "branch": "b-" + v},
                   data=native(sha=json.dumps("c-" + what)),
                   headers={"Content-Type": "application/json",
                            **auth(s.write_token)})
        assert r.status_code == 201, (what, r.text)
        r = ingest(s, native(bench=json.dumps("bench-" + v),
                             pval=json.dumps(v)))
        assert r.status_code in (200, 201), (what, r.text)

    # 4. Budgets PUT.
    for what, lit in JSON_BAD.items():
        for key in ("benchmark", "measure"):
            rule = {"benchmark": '"*"', "measure": '"latency"'}
            rule[key] = lit
            body = ('{"budgets": [{"benchmark": %s, "measure": %s, '
                    '"max": 50, "unit": "ms"}]}'
                    % (rule["benchmark"], rule["measure"]))
            r = requests.put(s.url + f"/api/v1/projects/{PROJECT}/budgets",
                             data=body.encode(), timeout=30,
                             headers={"Content-Type": "application/json",
                                      **auth(s.write_token)})
            p = refused(r, ("budgets", key, what))
            names_the_field(p, key, ("budgets", key, what))
    r = requests.put(s.url + f"/api/v1/projects/{PROJECT}/budgets",
                     data=gzip.compress(b'{"budgets": []}'), timeout=30,
                     headers={"Content-Type": "application/json",
                              "Content-Encoding": "gzip",
                              **auth(s.write_token)})
    refused(r, "budgets gzip", statuses=(415,))

    # 5. The CLI's push flags: refused before anything is sent.
    path = os.path.join(os.path.dirname(s.db), "run.json")
    with open(path, "w") as f:
        f.write(native())
    for flag in ("--branch", "--commit", "--testbed"):
        for what, v in {"ff": b"\xff", "control": b"a\x1bb",
                        "blank": b"   ", "long": b"x" * 300}.items():
            p = subprocess.run(
                [BIN.encode(), b"push", b"--server", s.url.encode(),
                 b"--token", s.write_token.encode(), b"--project",
                 PROJECT.encode(), flag.encode(), MARK.encode() + v
                 if what != "blank" else v, path.encode()],
                capture_output=True, timeout=60)
            assert p.returncode == 2, (flag, what, p.returncode, p.stderr)
            assert flag[2:].encode() in p.stderr, (flag, what, p.stderr)

    # A token's name is stored and listed like any name.
    for v in (b"\xff", b"a\x1bb", b"   ", b"x" * 300):
        p = subprocess.run([BIN.encode(), b"token", b"create", b"--db",
                            s.db.encode(), b"--name", MARK.encode() + v
                            if v.strip() else v], capture_output=True,
                           timeout=60)
        assert p.returncode == 2 and b"--name" in p.stderr, (v, p.stderr)

    # 6. Every GET JSON endpoint: strict UTF-8, valid JSON, no trace.
    check_every_list(s, run_id)
    with sqlite3.connect(s.db) as con:
        con.text_factory = bytes
        for t, c in (("branch", "name"), ("testbed", "name"),
                     ("benchmark", "key"), ("benchmark", "params"),
                     ("measure", "name"), ("run", "commit_sha"),
                     ("run", "metadata"), ("budget", "benchmark_glob"),
                     ("token", "name"), ("run", "idempotency_key")):
            for (v,) in con.execute(f"SELECT {c} FROM {t}"):
                if isinstance(v, bytes):
                    v = v.decode("utf-8", errors="strict")
                    assert MARK not in v, (t, c, v)
                    assert v.strip() != "", (t, c, v)
    # The odd but valid names are there as given.
    _, b = strict_json(s.get(f"/api/v1/projects/{PROJECT}/branches"))
    names = {x["name"] for x in b["branches"]}
    assert {"b-" + v for v in ODD_VALID.values()} <= names, names
    _, t = strict_json(s.get(f"/api/v1/projects/{PROJECT}/testbeds"))
    assert set(ODD_VALID.values()) <= {x["name"] for x in t["testbeds"]}


def check_every_list(s, run_id, project=PROJECT):
    """Fetches every GET JSON endpoint; each must be strict UTF-8 JSON."""
    base = f"/api/v1/projects/{project}"
    seen = {}
    paths = ["/api/health", "/api/v1/projects", base + "/benchmarks",
             base + "/measures", base + "/branches", base + "/testbeds",
             base + "/runs", base + "/runs?limit=1000", base + "/budgets",
             base + "/alerts", f"{base}/runs/{run_id}",
             f"{base}/runs/{run_id}/budgets"]
    for p in paths:
        r = s.get(p)
        assert r.status_code == 200, (p, r.status_code, r.text[:300])
        seen[p] = strict_json(r)
    _, runs = seen[base + "/runs?limit=1000"]
    for run in runs["runs"]:
        r = s.get(f"{base}/runs/{run['id']}")
        assert r.status_code == 200, r.text
        seen[run["id"]] = strict_json(r)
        r = s.get(f"{base}/compare", params={"base": run["id"],
                                             "head": run_id})
        assert r.status_code in (200, 422), r.text
        strict_json(r)
    _, bm = seen[base + "/benchmarks"]
    _, ms = seen[base + "/measures"]
    for b in bm["benchmarks"]:
        for m in ms["measures"]:
            for p in (base + "/series", f"/p/{project}/charts/trend.json"):
                r = s.get(p, params={"benchmark": b["key"],
                                     "measure": m["name"]})
                assert r.status_code in (200, 404), (p, r.text[:200])
                strict_json(r)
    # Answers that echo what the client sent: 404s, bad query values.
    for p in ("/nope%ff", f"/api/v1/projects/{MARK}%ff/runs",
              base + "/runs/%ff", base + "/series?benchmark=%ff",
              base + "/runs?branch=%ff", base + "/compare?base=%ff&head=1",
              base + "/alerts?status=%ff%00", "/api/v1/alerts/%ff"):
        r = s.get(p)
        assert r.status_code in (200, 400, 404, 405, 422), (p, r.status_code)
        strict_json(r)
    # HTML pages read the same store: strict UTF-8 too.
    pages = [f"/p/{project}", f"/p/{project}/alerts",
             f"/p/{project}/runs/{run_id}", f"/p/{project}/runs/%ff",
             f"/p/{project}/compare?base=%ff&head=%c0%80",
             f"/p/{project}/benchmarks/%ed%a0%80", f"/p/{MARK}%ff"]
    pages += [f"/p/{project}/benchmarks/{b['id']}" for b in bm["benchmarks"]]
    for p in pages:
        r = s.get(p)
        assert r.status_code in (200, 400, 404), (p, r.status_code)
        try:
            text = r.content.decode("utf-8", errors="strict")
        except UnicodeDecodeError as e:
            raise AssertionError((p, r.content[e.start - 200:e.end + 20]))
        if r.status_code == 200:
            assert MARK not in text, p
    for p, (text, _) in seen.items():
        assert MARK not in text, (p, text[:300])
    return seen


def alert_history(s, project):
    """Posts a slowdown that opens a change-point alert; returns its id."""
    for i in range(40):
        v = 10.0 * (1.0 if i < 25 else 1.5) * (1 + 0.01 * ((i * 7) % 5))
        body = {"format": "benchvault/v1", "project": project,
                "branch": "main",
                "commit": {"sha": f"c{i:04d}",
                           "time": f"2026-11-01T{i // 4:02d}:{i % 4 * 15:02d}"
                                   ":00Z"},
                "testbed": "ci",
                "results": [{"benchmark": "b", "measures": {
                    "latency": {"unit": "ms", "value": v}}}]}
        r = s.post(f"/api/v1/projects/{project}/runs", data=json.dumps(body),
                   headers={"Content-Type": "application/json",
                            **auth(s.write_token)})
        assert r.status_code == 201, r.text
    r = s.get(f"/api/v1/projects/{project}/alerts")
    alerts = r.json()["alerts"]
    assert alerts, "no alert opened"
    return alerts[0]["id"]


def test_alert_patch_refuses_hostile_notes(server):
    s = server
    aid = alert_history(s, "alerty")
    url = s.url + f"/api/v1/alerts/{aid}"
    h = {"Content-Type": "application/json", **auth(s.write_token)}
    for what, lit in JSON_BAD.items():
        if what in ("blank", "empty", "too_long"):
            continue  # a note may be empty; 300 bytes is a short note
        r = requests.patch(url, data=('{"note": %s}' % lit).encode(),
                           headers=h, timeout=30)
        p = refused(r, ("note", what))
        names_the_field(p, "note", what)
    for what, raw in RAW_BAD.items():
        r = requests.patch(url, data=b'{"note": "' + raw + b'"}', headers=h,
                           timeout=30)
        refused(r, ("note", what), statuses=(400,))
    r = requests.patch(url, data=json.dumps({"note": "x" * 5000}).encode(),
                       headers=h, timeout=30)
    refused(r, "long note")
    r = requests.patch(url, data=gzip.compress(b'{"note": "zipped"}'),
                       headers={**h, "Content-Encoding": "gzip"}, timeout=30)
    refused(r, "gzip note", statuses=(415,))
    r = requests.patch(url, data=json.dumps(
        {"status": "acknowledged", "note": "ok \u202e rtl\nline 2"}).encode(),
        headers=h, timeout=30)
    assert r.status_code == 200, r.text
    seen = check_every_list(s, 1, "alerty")
    _, alerts = seen["/api/v1/projects/alerty/alerts"]
    assert alerts["alerts"][0]["note"] == "ok \u202e rtl\nline 2"


def test_repair_of_text_stored_by_earlier_versions(tmpdir_path):
    """A version-3 database holding invalid UTF-8 (the old bug) is repaired
    on open; every list answers valid JSON."""
    db = os.path.join(tmpdir_path, "old.db")
    con = sqlite3.connect(db)
    for f in sorted(glob.glob(os.path.join(SCHEMA, "000[1-3]_*.sql"))):
        with open(f) as fh:
            con.executescript(fh.read())
    con.execute("PRAGMA user_version = 3")

    q = "CAST(? AS TEXT)"  # the bytes as TEXT, as the old version stored them
    con.execute(f"INSERT INTO project (id, slug, created_at, settings) "
                f"VALUES (1, 'old', 0, {q})", (b'{"a":"\xff"}',))
    con.execute(f"INSERT INTO branch VALUES (1, 1, {q}, 0)", (b"ma\xffin",))
    con.execute(f"INSERT INTO branch VALUES (2, 1, {q}, 0)", (b"ma\xfein",))
    con.execute(f"INSERT INTO testbed VALUES (1, 1, {q}, {q}, 0)",
                (b"\xc0\x80box", b'{"cpu":"x\xed\xa0\x80"}'))
    for rid, bid in ((1, 1), (2, 2)):
        con.execute(
            f"INSERT INTO run (id, project_id, branch_id, testbed_id, "
            f"commit_sha, commit_message, created_at, format, metadata) "
            f"VALUES (?, 1, ?, 1, {q}, {q}, 0, 'benchvault/v1', {q})",
            (rid, bid, b"c\xff%d" % rid, b"msg \xff", b'{"k":"\xf5"}'))
    con.execute(f"INSERT INTO benchmark VALUES (1, 1, {q}, {q}, {q}, 0)",
                (b"b\xff", b'{"s":"\xff"}', b"b\xff[s=\xff]"))
    con.execute(f"INSERT INTO measure VALUES (1, 1, {q}, 's', 'lower', 0)",
                (b"lat\xffency",))
    for rid in (1, 2):
        con.execute("INSERT INTO result (run_id, benchmark_id, measure_id, "
                    "value, n) VALUES (?, 1, 1, 1.5, 1)", (rid,))
    con.commit()
    con.close()

    s = Server(db).start()
    try:
        seen = check_every_list(s, 1, "old")
        _, b = seen["/api/v1/projects/old/branches"]
        names = sorted(x["name"] for x in b["branches"])
        assert names == ["ma\ufffdin", "ma\ufffdin #2"], names
        _, tb = seen["/api/v1/projects/old/testbeds"]
        assert tb["testbeds"][0]["name"] == "\ufffd\ufffdbox", tb
        _, m = seen["/api/v1/projects/old/measures"]
        assert m["measures"][0]["name"] == "lat\ufffdency", m
        _, run = seen[1]
        assert run["commit"]["sha"] == "c\ufffd1", run
        assert run["commit"]["message"] == "msg \ufffd", run
    finally:
        rc = s.stop()
    assert rc == 0, s.logtext()
    assert "were not valid UTF-8" in s.logtext(), s.logtext()[-2000:]
    # The file itself is repaired, not only the answers.
    con = sqlite3.connect(db)
    con.text_factory = bytes
    for (tbl,) in con.execute("SELECT name FROM sqlite_master WHERE type = "
                              "'table'").fetchall():
        cols = [r[1].decode() for r in
                con.execute(f"PRAGMA table_info({tbl.decode()})")]
        for c in cols:
            for (v,) in con.execute(f"SELECT {c} FROM {tbl.decode()} WHERE "
                                    f"typeof({c}) = 'text'"):
                v.decode("utf-8", errors="strict")
    con.close()


def test_every_route_refuses_a_query_that_is_not_text(server):
    """The dispatcher checks every query parameter of every route, not only
    the ingest's: 400 naming the parameter, never an answer echoing it."""
    for path in ("/api/v1/projects/p/runs?branch=%ff",
                 "/api/v1/projects/p/compare?base=%c0%80&head=1",
                 "/p/p?sort=a%00b",
                 "/api/v1/projects?x=%ed%a0%80",
                 "/p/p/charts/trend.png?benchmark=%01"):
        r = server.get(path)
        assert r.status_code == 400, (path, r.status_code, r.text[:200])
        body = r.content.decode("utf-8")          # strict: valid UTF-8
        doc = json.loads(body)
        assert doc["errors"][0]["parameter"], doc
