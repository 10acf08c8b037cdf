"""Faults a server and an agent meet in the field (issue 13, items 4 and 5).

- A killed agent keeps its run: `benchvault run` writes the run to its
  spool before the upload, so SIGKILL (or the SIGTERM of a cancelled CI job)
  during a stalled upload leaves it there; the next delivery stores it
  once.  The upload is stalled for real: the server process is stopped
  with SIGSTOP, so the kernel accepts the connection and nobody answers.
- A full disk: the database lives on a real tmpfs of a few MiB, filled up
  by a file beside it.  Ingest answers 507 with Retry-After and a body that
  says the disk is full (not "see its log"), every acknowledged run stays
  readable, the agent spools on it, and once space is freed the same server
  stores runs again without a restart.  Mounting needs root (CI runs as
  root); elsewhere the test is skipped and says why.
"""
import json
import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import (BIN, Server, auth, count_rows, fill, make_token,
                      native_run, tmpfs)

PY = "/usr/bin/python3"


def agent_env(tmp):
    e = {k: v for k, v in os.environ.items()
         if not (k.startswith(("GITHUB_", "GITLAB_", "CI_", "BENCHVAULT_"))
                 or k == "CI")}
    e["XDG_CACHE_HOME"] = os.path.join(tmp, "cache")
    e["BENCHVAULT_NVML_LIB"] = "/nonexistent/libnvidia-ml.so.1"
    return e


def spool_files(d):
    if not os.path.isdir(d):
        return []
    return sorted(f for f in os.listdir(d) if f.endswith(".json"))


def agent(tmp, server_url, token, spool, *cmd, **kw):
    return subprocess.Popen(
        [BIN, "run", "--server", server_url, "--token", token, "--project",
         "faults", "--spool", spool, "--retries", "0", *cmd],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=agent_env(tmp), cwd=tmp, **kw)


def wait_for_upload(server, timeout=60):
    """True once the server's socket has a connection (an upload) waiting
    in its accept queue or accepted: read from /proc/net/tcp."""
    port = int(server.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                # 01 = ESTABLISHED, on the server's side of the port
                if int(local.split(":")[1], 16) == port and state == "01":
                    return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_agent_during_stalled_upload_keeps_the_run(server, tmpdir_path,
                                                          sig):
    spool = os.path.join(tmpdir_path, "spool")
    server.proc.send_signal(signal.SIGSTOP)
    try:
        p = agent(tmpdir_path, server.url, server.write_token, spool,
                  "--http-timeout-ms", "120000", "--",
                  PY, "-c", "print('measured')")
        assert wait_for_upload(server), "the agent never started its upload"
        time.sleep(0.5)
        assert p.poll() is None, p.communicate()
        p.send_signal(sig)
        p.communicate(timeout=30)
    finally:
        server.proc.send_signal(signal.SIGCONT)
    assert p.returncode == -sig or p.returncode != 0
    files = spool_files(spool)
    assert len(files) == 1, files
    # The stalled upload may still reach the server now that it runs again
    # (its bytes sat in the socket); delivery is exactly once either way.
    d = subprocess.run([BIN, "run", "--deliver-spool", "--server",
                        server.url, "--token", server.write_token,
                        "--spool", spool], capture_output=True, text=True,
                       env=agent_env(tmpdir_path), timeout=60)
    assert d.returncode == 0, d.stderr
    assert spool_files(spool) == []
    assert count_rows(server.db)["run"] == 1
    # A delivered run leaves no spool file behind.
    p = agent(tmpdir_path, server.url, server.write_token, spool, "--",
              PY, "-c", "print('again')")
    out, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    assert "stored run" in out
    assert spool_files(spool) == []
    assert count_rows(server.db)["run"] == 2


# ---- a full disk ----------------------------------------------------------------

@pytest.fixture
def tiny_disk(tmpdir_path):
    with tmpfs(tmpdir_path, "6m") as mnt:
        yield mnt


def big_run(i):
    # About 160 KiB of samples: a few runs fill what is left.
    samples = [10.0 + (j % 97) * 0.01 + i * 1e-6 for j in range(20000)]
    return native_run(project="full", sha=f"{i:07x}", samples=samples)


def test_full_disk_answers_507_and_recovers(tmpdir_path, tiny_disk):
    db = os.path.join(tiny_disk, "bv.db")
    token = make_token(db, "write")
    s = Server(db, log=os.path.join(tmpdir_path, "server.log"))
    s.start()
    try:
        h = auth(token)
        r = s.post("/api/v1/projects/full/runs", json=big_run(0), headers=h)
        assert r.status_code == 201, r.text
        acked = [r.json()["run_id"]]
        filler = os.path.join(tiny_disk, "filler")
        fill(filler, 256 << 10)
        full = None
        for i in range(1, 40):
            r = s.post("/api/v1/projects/full/runs", json=big_run(i),
                       headers=h)
            if r.status_code == 201:
                acked.append(r.json()["run_id"])
                continue
            full = r
            break
        assert full is not None, "the disk never filled"
        assert full.status_code == 507, (full.status_code, full.text)
        assert full.headers["Content-Type"].startswith(
            "application/problem+json")
        assert full.headers.get("Retry-After", "").isdigit()
        body = full.json()
        assert body["status"] == 507
        assert "disk is full" in body["detail"], body
        assert "see its log" not in body["detail"]
        # Nothing acknowledged is lost; the server still reads.
        for rid in acked:
            g = s.get(f"/api/v1/projects/full/runs/{rid}")
            assert g.status_code == 200, (rid, g.text)
        assert s.get("/api/health").status_code == 200
        # The agent spools on 507.
        spool = os.path.join(tmpdir_path, "spool")
        p = agent(tmpdir_path, s.url, token, spool, "--",
                  PY, "-c", "print(1)")
        out, err = p.communicate(timeout=120)
        assert p.returncode == 3, (out, err)
        assert "spooled" in err
        assert len(spool_files(spool)) == 1
        # Space comes back: the same server stores again, no restart.
        os.unlink(filler)
        r = s.post("/api/v1/projects/full/runs", json=big_run(99), headers=h)
        assert r.status_code == 201, r.text
        d = subprocess.run([BIN, "run", "--deliver-spool", "--server", s.url,
                            "--token", token, "--spool", spool],
                           capture_output=True, text=True,
                           env=agent_env(tmpdir_path), timeout=60)
        assert d.returncode == 0, d.stderr
        assert spool_files(spool) == []
        runs = s.get("/api/v1/projects/full/runs?limit=100").json()["runs"]
        assert sorted(r["id"] for r in runs)[:len(acked)] == acked
        assert len(runs) == len(acked) + 1
        agent_runs = s.get("/api/v1/projects/faults/runs").json()["runs"]
        assert len(agent_runs) == 1
    finally:
        rc = s.stop()
    assert rc == 0, s.logtext()[-3000:]
    log = s.logtext()
    assert "full" in log.lower()
