"""Injected faults under the real server and CLI (issue 14).

The fault shim (tests/fault/, a VFS registered as SQLite's default and an
allocator) is LD_PRELOADed into the real `benchvault`: it reads its orders
from the file BV_FAULT_CTL names ("write,sync 3 ioerr": the third write or
sync from now fails with an I/O error; "write 1 full persist": every write
fails as on a full disk until "off") and logs each fault it answers to
BV_FAULT_LOG.  The binary itself knows nothing of it.

- Ingest while call N fails, for every N a post meets: the client gets 503
  (I/O) or 507 (full) with Retry-After and a problem+json body, the server
  stays up, the next post is stored, every acknowledged run stays readable,
  and PRAGMA integrity_check is ok at the end.
- A client that closes its socket before (or while) the answer is written:
  no crash, no wedge (SIGPIPE ignored, write errors handled).
- `benchvault backup` and `benchvault report` on a full disk (a real
  tmpfs, as tests/e2e/test_faults.py) and on an I/O error exit non-zero
  with an error that says so, and leave no half file behind.
"""
import os
import re
import socket
import sqlite3

import pytest

from conftest import (BIN, Server, auth, fill, make_token, native_run,
                      run_cli, tmpfs)

FAULT_LIB = os.path.join(os.path.dirname(BIN), "tests", "libbv_fault.so")


def fault_env(tmp):
    """The environment that preloads the shim, and its control files."""
    assert os.path.exists(FAULT_LIB), (
        f"{FAULT_LIB} is missing: build the bv_fault_preload target")
    ctl = os.path.join(tmp, "fault.ctl")
    log = os.path.join(tmp, "fault.log")
    order(ctl, "off")
    e = dict(os.environ)
    for k in ("BENCHVAULT_SERVER", "BENCHVAULT_TOKEN", "BENCHVAULT_PROJECT"):
        e.pop(k, None)
    e["LD_PRELOAD"] = FAULT_LIB
    e["BV_FAULT_CTL"] = ctl
    e["BV_FAULT_LOG"] = log
    # The sanitizer build wants its runtime first in the library list; the
    # shim is preloaded before it on purpose.
    asan = e.get("ASAN_OPTIONS", "")
    e["ASAN_OPTIONS"] = (asan + ":" if asan else "") + \
        "verify_asan_link_order=0"
    return e, ctl, log


def order(ctl, text):
    """Gives the shim an order: written whole, then renamed into place."""
    tmp = ctl + ".new"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, ctl)


def fired(log):
    if not os.path.exists(log):
        return []
    with open(log) as f:
        return [line.split() for line in f if line.startswith("fired")]


def integrity(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def run_body(i, nsamples=200):
    samples = [10.0 + (j % 13) * 0.1 + i * 1e-3 for j in range(nsamples)]
    return native_run(project="inj", sha=f"{i:07x}", n=3, samples=samples)


def assert_storage_problem(r, status):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert r.headers.get("Retry-After", "").isdigit(), r.headers
    body = r.json()
    assert body["status"] == status
    assert "nothing of this request was stored" in body["detail"], body
    assert "see its log" not in body["detail"]


@pytest.fixture
def fault_server(tmpdir_path):
    db = os.path.join(tmpdir_path, "bv.db")
    token = make_token(db, "write")  # made (and migrated) without faults
    env, ctl, log = fault_env(tmpdir_path)
    s = Server(db, env=env, log=os.path.join(tmpdir_path, "server.log"))
    s.token, s.ctl, s.faultlog = token, ctl, log
    s.start()
    yield s
    order(ctl, "off")
    rc = s.stop()
    assert rc == 0, f"server exited {rc}:\n{s.logtext()[-4000:]}"
    assert integrity(db) == "ok"


def sweep(s, kinds, effect, want, nmax=80, every=80):
    """Posts one run per N with call N of kinds failing (every N up to
    `every`, then N grows by a quarter); returns the ids acknowledged and
    how many posts met the fault."""
    h = auth(s.token)
    acked, met = [], 0
    r = s.post("/api/v1/projects/inj/runs", json=run_body(0), headers=h)
    assert r.status_code == 201, r.text
    acked.append(r.json()["run_id"])
    n = 1
    while n <= nmax:
        before = len(fired(s.faultlog))
        persist = " persist" if effect == "full" else ""
        order(s.ctl, f"{kinds} {n} {effect}{persist}")
        r = s.post("/api/v1/projects/inj/runs", json=run_body(n), headers=h)
        order(s.ctl, "off")
        hit = len(fired(s.faultlog)) > before
        if r.status_code == 201:
            acked.append(r.json()["run_id"])
        else:
            assert hit, (n, r.status_code, r.text)
            assert_storage_problem(r, want)
            met += 1
        # The server stays up and the next post is stored.
        r = s.post("/api/v1/projects/inj/runs", json=run_body(1000 + n),
                   headers=h)
        assert r.status_code == 201, (n, r.text)
        acked.append(r.json()["run_id"])
        if not hit:
            break  # past the last call a post makes
        n = n + 1 if n < every else n + n // 4
    assert met > 0, f"no post met a fault of {kinds}"
    assert s.get("/api/health").status_code == 200
    for rid in acked:
        g = s.get(f"/api/v1/projects/inj/runs/{rid}")
        assert g.status_code == 200, (rid, g.text)
        assert len(g.json()["results"]) == 3
    runs = s.get("/api/v1/projects/inj/runs?limit=1000").json()["runs"]
    assert sorted(r["id"] for r in runs) == sorted(acked)
    return acked, met


@pytest.mark.parametrize("kinds,effect,want", [
    ("write", "ioerr", 503),
    ("sync", "ioerr", 503),
    ("read", "ioerr", 503),
    ("write", "full", 507),
    ("malloc", "ioerr", 503),  # SQLite out of memory
])
def test_ingest_under_every_nth_fault(fault_server, kinds, effect, want):
    acked, met = sweep(fault_server, kinds, effect, want, nmax=100000,
                       every=40)
    # The operator's log says, for each refusal, what failed and why
    # ("looking up the token: input/output error", "COMMIT: disk I/O
    # error"), not a bare cause.
    log = fault_server.logtext()
    causes = re.findall(r" error POST /api/v1/projects/inj/runs: (.*)", log)
    assert len(causes) == met, log[-3000:]
    for c in causes:
        assert re.search(r"\w: .*(I/O error|disk is full|input/output error|"
                         r"out of memory)", c), c


# ---- a client that goes away ---------------------------------------------------

def test_client_closing_mid_answer_does_not_hurt_the_server(server):
    h = auth(server.write_token)
    # A large answer: a run with 60000 samples (the run page returns them).
    samples = [1.0 + (j % 101) * 0.001 for j in range(60000)]
    r = server.post("/api/v1/projects/pipe/runs",
                    json=native_run(project="pipe", samples=samples),
                    headers=h)
    assert r.status_code == 201, r.text
    rid = r.json()["run_id"]
    host, port = server.url.rsplit("//", 1)[1].split(":")
    big = (f"GET /api/v1/projects/pipe/runs/{rid} HTTP/1.1\r\n"
           f"Host: {host}\r\nConnection: close\r\n\r\n").encode()
    body = b'{"format": "benchvault/v1", "results": ['
    half_post = (f"POST /api/v1/projects/pipe/runs HTTP/1.1\r\n"
                 f"Host: {host}\r\nAuthorization: Bearer "
                 f"{server.write_token}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: 100000\r\n\r\n").encode() + body
    for i in range(60):
        c = socket.create_connection((host, int(port)), timeout=10)
        if i % 2:
            # RST instead of FIN: the server's next write fails at once.
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.sendall(half_post if i % 3 == 0 else big)
        if i % 3 == 1:
            c.recv(100)  # the answer has begun: close in the middle of it
        c.close()
    # The server is up, answers whole, and stores.
    g = server.get(f"/api/v1/projects/pipe/runs/{rid}")
    assert g.status_code == 200
    assert len(g.json()["results"][0]["samples"]) == 60000
    r = server.post("/api/v1/projects/pipe/runs",
                    json=native_run(project="pipe", sha="0000002"), headers=h)
    assert r.status_code == 201, r.text
    assert server.proc.poll() is None


# ---- backup and report on a full disk and on an I/O error ----------------------

@pytest.fixture
def tiny_disk(tmpdir_path):
    with tmpfs(tmpdir_path, "2m") as mnt:
        yield mnt


@pytest.fixture
def filled_db(server):
    """A database of a few hundred KiB: more than the full disk holds."""
    h = auth(server.write_token)
    for i in range(6):
        r = server.post("/api/v1/projects/rep/runs",
                        json=native_run(project="rep", sha=f"{i:07x}", n=4,
                                        samples=[1.0 + j * 1e-4
                                                 for j in range(4000)]),
                        headers=h)
        assert r.status_code == 201, r.text
    return server.db


def assert_clear_failure(p, cause):
    assert p.returncode > 0, (p.returncode, p.stderr)  # not a signal
    assert p.returncode not in (134, 139), p.stderr
    assert "AddressSanitizer" not in p.stderr, p.stderr
    assert re.search(cause, p.stderr, re.I), p.stderr
    assert len(p.stderr.strip().splitlines()) <= 5, p.stderr


FULL = r"no space left|disk is full|database or disk is full"
IO = r"I/O error|input/output error"


def test_backup_on_a_full_disk(filled_db, tiny_disk):
    fill(os.path.join(tiny_disk, "filler"), 64 << 10)
    out = os.path.join(tiny_disk, "b.db")
    p = run_cli("backup", "--db", filled_db, "--out", out, check=False)
    assert_clear_failure(p, FULL)
    # No half backup under its name, no temporary copy left.
    assert os.listdir(tiny_disk) == ["filler"]


def test_report_on_a_full_disk(filled_db, tiny_disk):
    fill(os.path.join(tiny_disk, "filler"), 64 << 10)
    out = os.path.join(tiny_disk, "site")
    p = run_cli("report", "--db", filled_db, "--project", "rep", "--out",
                out, check=False, timeout=300)
    assert_clear_failure(p, FULL)


def test_backup_and_report_on_an_io_error(filled_db, tmpdir_path):
    env, ctl, log = fault_env(tmpdir_path)
    order(ctl, "read 3 ioerr persist")
    out = os.path.join(tmpdir_path, "b.db")
    p = run_cli("backup", "--db", filled_db, "--out", out, env=env,
                check=False)
    assert fired(log), "the backup met no fault"
    assert_clear_failure(p, IO)
    assert not os.path.exists(out)
    assert not [f for f in os.listdir(tmpdir_path) if ".tmp." in f]

    os.unlink(log)
    p = run_cli("report", "--db", filled_db, "--project", "rep", "--out",
                os.path.join(tmpdir_path, "site"), env=env, check=False,
                timeout=300)
    assert fired(log), "the report met no fault"
    assert_clear_failure(p, IO)

    # A full disk seen by SQLite (the backup's copy) says so too.
    os.unlink(log)
    order(ctl, "write 1 full persist")
    p = run_cli("backup", "--db", filled_db, "--out", out, env=env,
                check=False)
    assert fired(log), "the backup met no fault"
    assert_clear_failure(p, FULL)
    assert not os.path.exists(out)
    order(ctl, "off")
    p = run_cli("backup", "--db", filled_db, "--out", out, env=env)
    assert "integrity ok" in p.stdout
