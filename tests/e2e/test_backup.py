"""Backups while the server runs, and restores (issue 16, "Backups").

A backup taken during an ingest load (4 writers posting runs over HTTP)
restores to a database that passes PRAGMA integrity_check and holds every
run acknowledged before the backup started; a server started on the
restored file serves them.  A restore refuses a damaged file, a file that
is not a benchvault database, a schema from a newer benchvault, and an
existing database without --force, each with a clear message and nothing
written.
"""
import os
import shutil
import sqlite3
import subprocess
import threading
import time

from conftest import BIN, Server, auth, make_token, native_run, run_cli


def integrity(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def run_ids(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {r[0] for r in con.execute("SELECT id FROM run")}
    finally:
        con.close()


def test_backup_under_load_restores_every_acknowledged_run(server,
                                                          tmpdir_path):
    acked = []            # (time acknowledged, run id)
    lock = threading.Lock()
    stop = threading.Event()
    errors = []

    def writer(w):
        i = 0
        h = auth(server.write_token)
        while not stop.is_set():
            body = native_run(project="bk", sha=f"{w:02x}{i:05x}", n=20,
                              samples=[1.0 + (i % 7) * 0.01] * 50)
            r = server.post("/api/v1/projects/bk/runs", json=body, headers=h)
            if r.status_code != 201:
                errors.append(r.text)
                return
            with lock:
                acked.append((time.monotonic(), r.json()["run_id"]))
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        time.sleep(3)
        out = os.path.join(tmpdir_path, "backup.db")
        started = time.monotonic()
        p = run_cli("backup", "--db", server.db, "--out", out)
        took = time.monotonic() - started
        time.sleep(2)   # the load goes on after the backup
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:3]
    before = {rid for t, rid in acked if t < started}
    print(f"backup took {took:.2f} s; {len(before)} runs acknowledged "
          f"before it, {len(acked)} in all")
    assert len(before) > 20 and len(acked) > len(before)
    assert "integrity ok" in p.stdout
    assert integrity(out) == "ok"
    assert not [f for f in os.listdir(tmpdir_path) if ".tmp." in f]
    # Restore into a fresh path; a server on it serves what it holds.
    db2 = os.path.join(tmpdir_path, "restored.db")
    p = run_cli("restore", "--from", out, "--db", db2)
    assert "restored" in p.stdout and "integrity ok" in p.stdout
    assert integrity(db2) == "ok"
    assert before <= run_ids(db2)
    s2 = Server(db2)
    s2.start()
    try:
        rid = max(before)
        r = s2.get(f"/api/v1/projects/bk/runs/{rid}")
        assert r.status_code == 200 and len(r.json()["results"]) == 20
    finally:
        assert s2.stop() == 0


def test_restore_refuses_what_it_cannot_trust(tmpdir_path):
    db = os.path.join(tmpdir_path, "a.db")
    make_token(db)
    good = os.path.join(tmpdir_path, "good.db")
    run_cli("backup", "--db", db, "--out", good)
    target = os.path.join(tmpdir_path, "target.db")
    # Not a database at all.
    junk = os.path.join(tmpdir_path, "junk.db")
    with open(junk, "wb") as f:
        f.write(b"this is not SQLite\n" * 100)
    p = run_cli("restore", "--from", junk, "--db", target, check=False)
    assert p.returncode == 2 and "junk.db" in p.stderr, p.stderr
    assert not os.path.exists(target)
    # SQLite, but not ours.
    other = os.path.join(tmpdir_path, "other.db")
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.close()
    p = run_cli("restore", "--from", other, "--db", target, check=False)
    assert p.returncode == 2 and "not a benchvault database" in p.stderr
    assert not os.path.exists(target)
    # A schema from a newer benchvault.
    newer = os.path.join(tmpdir_path, "newer.db")
    shutil.copy(good, newer)
    con = sqlite3.connect(newer)
    con.execute("PRAGMA user_version = 9999")
    con.close()
    p = run_cli("restore", "--from", newer, "--db", target, check=False)
    assert p.returncode == 2 and "newer than this benchvault" in p.stderr
    assert not os.path.exists(target)
    # Damaged pages: integrity_check fails (or SQLite cannot read it).
    broken = os.path.join(tmpdir_path, "broken.db")
    shutil.copy(good, broken)
    size = os.path.getsize(broken)
    with open(broken, "r+b") as f:
        page = 4096
        for off in range(2 * page, size, page):
            f.seek(off + 100)
            f.write(b"\xff" * 200)
    p = run_cli("restore", "--from", broken, "--db", target, check=False)
    assert p.returncode == 2, p.stdout
    assert "integrity_check" in p.stderr or "broken.db" in p.stderr
    assert not os.path.exists(target)
    # The good one goes in; a second time it needs --force.
    run_cli("restore", "--from", good, "--db", target)
    p = run_cli("restore", "--from", good, "--db", target, check=False)
    assert p.returncode == 2 and "--force" in p.stderr
    run_cli("restore", "--from", good, "--db", target, "--force")
    assert integrity(target) == "ok"
    # A backup of a missing database says so.
    p = run_cli("backup", "--db", os.path.join(tmpdir_path, "none.db"),
                "--out", os.path.join(tmpdir_path, "x.db"), check=False)
    assert p.returncode == 2 and "none.db" in p.stderr
