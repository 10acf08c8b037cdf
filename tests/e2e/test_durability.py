"""Concurrency, crash safety and graceful shutdown of the ingest path."""
import json
import os
import signal
import sqlite3
import threading
import time

import requests

from conftest import Server, auth, count_rows, make_token, native_run


def post(session, url, token, body, key=None):
    h = {"Content-Type": "application/json", **auth(token)}
    if key:
        h["Idempotency-Key"] = key
    return session.post(url + "/api/v1/projects/alpha-q/runs",
                        data=json.dumps(body), headers=h, timeout=60)


def test_200_runs_over_16_connections_land_exactly_once(server):
    ids, errors = [], []
    lock = threading.Lock()

    def worker(w):
        with requests.Session() as s:
            for i in range(w, 200, 16):
                r = post(s, server.url, server.write_token,
                         native_run(sha=f"c{i:04d}", n=3),
                         key=f"run-{i}")
                with lock:
                    if r.status_code == 201:
                        ids.append(r.json()["run_id"])
                    else:
                        errors.append((i, r.status_code, r.text))

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    assert len(ids) == 200 and len(set(ids)) == 200
    rows = count_rows(server.db)
    assert rows["run"] == 200 and rows["result"] == 600
    # replaying every key stores nothing new
    with requests.Session() as s:
        for i in range(0, 200, 7):
            r = post(s, server.url, server.write_token,
                     native_run(sha=f"c{i:04d}", n=3), key=f"run-{i}")
            assert r.status_code == 200
    assert count_rows(server.db)["run"] == 200


def test_sigkill_mid_stream_keeps_every_acknowledged_run(tmpdir_path):
    db = os.path.join(tmpdir_path, "crash.db")
    tok = make_token(db)
    s = Server(db).start()
    acked = {}  # run_id -> sha
    lock = threading.Lock()
    stop = threading.Event()

    def worker(w):
        with requests.Session() as sess:
            for i in range(100000):
                if stop.is_set():
                    return
                sha = f"w{w}-{i}"
                try:
                    r = post(sess, s.url, tok, native_run(sha=sha, n=5))
                except requests.RequestException:
                    return
                if r.status_code == 201:
                    with lock:
                        acked[r.json()["run_id"]] = sha

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    deadline = time.time() + 20
    while time.time() < deadline:
        with lock:
            if len(acked) >= 300:
                break
        time.sleep(0.05)
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait(timeout=30)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    s.proc = None
    s.log.close()
    assert len(acked) >= 50, "too few runs acknowledged before the kill"

    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    s2 = Server(db).start()
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        stored = dict(con.execute("SELECT id, commit_sha FROM run"))
        con.close()
        missing = [rid for rid, sha in acked.items()
                   if stored.get(rid) != sha]
        assert not missing, f"{len(missing)} acknowledged runs lost"
        # the restarted server serves them
        rid = next(iter(acked))
        r = s2.get(f"/api/v1/projects/alpha-q/runs/{rid}")
        assert r.status_code == 200 and r.json()["commit"]["sha"] == acked[rid]
        # every stored run is whole: 5 results each
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        partial = con.execute(
            "SELECT count(*) FROM run WHERE (SELECT count(*) FROM result "
            "WHERE result.run_id = run.id) != 5").fetchone()[0]
        con.close()
        assert partial == 0
    finally:
        assert s2.stop() == 0, s2.logtext()[-3000:]


def test_sigterm_finishes_requests_in_flight(tmpdir_path):
    db = os.path.join(tmpdir_path, "term.db")
    tok = make_token(db)
    s = Server(db).start()
    results = []
    lock = threading.Lock()

    def worker(w):
        with requests.Session() as sess:
            for i in range(40):
                try:
                    r = post(sess, s.url, tok,
                             native_run(sha=f"t{w}-{i}", n=20))
                except requests.RequestException:
                    return
                with lock:
                    results.append(r.status_code)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    rc = s.stop(signal.SIGTERM)
    for t in threads:
        t.join(timeout=60)
    assert rc == 0, s.logtext()[-3000:]
    ok = sum(1 for c in results if c == 201)
    # every 201 is stored; the database is consistent
    rows = count_rows(db)
    assert rows["run"] == ok
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
