"""Shared fixtures for the end-to-end tests.

Each test gets the real `benchvault` binary (BENCHVAULT_BIN, set by ctest),
started on an ephemeral loopback port with a temporary database.  The server
is stopped with SIGTERM at the end, and its exit status must be 0: under the
sanitizer build that also checks for leaks and undefined behaviour.
"""
import os
import re
import signal
import sqlite3
import subprocess
import contextlib
import tempfile
import time

import pytest
import requests

BIN = os.environ.get("BENCHVAULT_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "benchvault"))


def run_cli(*args, check=True, env=None, input=None, timeout=60):
    """Runs `benchvault ARGS`; returns the CompletedProcess."""
    e = dict(os.environ)
    for k in ("BENCHVAULT_SERVER", "BENCHVAULT_TOKEN", "BENCHVAULT_PROJECT"):
        e.pop(k, None)
    if env:
        e.update(env)
    p = subprocess.run([BIN, *args], capture_output=True, text=True, env=e,
                       input=input, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"benchvault {' '.join(args)} exited "
                             f"{p.returncode}: {p.stderr}")
    return p


class Server:
    def __init__(self, db, extra=(), log=None, env=None):
        self.db = db
        self.logpath = log or db + ".log"
        self.extra = list(extra)
        self.env = env  # None: this process's environment
        self.proc = None
        self.url = None
        self.log = None

    def start(self):
        self.log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--db", self.db, "--listen", "127.0.0.1:0",
             "--threads", "4", *self.extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=self.env)
        self.banner = []
        m = None
        for _ in range(20):
            line = self.proc.stdout.readline()
            if not line:
                break
            self.banner.append(line)
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if m:
                break
        if not m:
            self.proc.kill()
            raise AssertionError(f"server did not start: {line!r} "
                                 f"{open(self.logpath).read()}")
        self.url = m.group(1)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=60):
        if not self.proc:
            return 0
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self.proc.stdout.close()
        self.proc = None
        self.log.close()
        return rc

    def logtext(self):
        with open(self.logpath, errors="replace") as f:
            return f.read()

    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=30, **kw)

    def post(self, path, **kw):
        return requests.post(self.url + path, timeout=60, **kw)


def count_rows(db):
    """Row counts of every data table, read without the server."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        for t in ("project", "branch", "testbed", "run", "benchmark",
                  "measure", "result", "resource_sample"):
            out[t] = con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        return out
    finally:
        con.close()


@pytest.fixture
def tmpdir_path():
    with tempfile.TemporaryDirectory(prefix="bv-e2e-") as d:
        yield d


def make_token(db, scope="write", project=None, name="test"):
    # --create: the server fixture makes its token before the server has
    # made the database (token create refuses a missing one otherwise).
    args = ["token", "create", "--db", db, "--create", "--scope", scope,
            "--name", name]
    if project:
        args += ["--project", project]
    return run_cli(*args).stdout.splitlines()[0].strip()


@pytest.fixture
def server(tmpdir_path):
    db = os.path.join(tmpdir_path, "bv.db")
    s = Server(db)
    s.write_token = make_token(db, "write")
    s.start()
    yield s
    rc = s.stop()
    assert rc == 0, f"server exited {rc}:\n{s.logtext()[-4000:]}"


def native_run(project="alpha-q", sha="3f2a9c1", n=1, latency_ms=12.3,
               samples=None, **extra):
    results = []
    for i in range(n):
        m = {"unit": "ms", "value": latency_ms}
        if samples is not None:
            m["samples"] = samples
        results.append({"benchmark": f"bench_{i}",
                        "params": {"size": i},
                        "measures": {"latency": m}})
    body = {"format": "benchvault/v1", "project": project, "branch": "main",
            "commit": {"sha": sha, "time": "2026-11-26T12:00:00Z"},
            "results": results}
    body.update(extra)
    return body


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def tmpfs(tmp, size):
    """A real tmpfs of `size` ("6m") mounted at tmp/disk, for full-disk
    tests; skips the test without root or where mounting is refused."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    mnt = os.path.join(tmp, "disk")
    os.mkdir(mnt)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}",
                        "tmpfs", mnt], capture_output=True, text=True)
    if m.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {m.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], check=False)


def fill(path, leave):
    """Writes path until its file system has about `leave` bytes free."""
    st = os.statvfs(os.path.dirname(path))
    free = st.f_bavail * st.f_frsize
    with open(path, "wb") as f:
        try:
            f.write(b"\0" * max(0, free - leave))
            f.flush()
            os.fsync(f.fileno())
        except OSError:
            pass
