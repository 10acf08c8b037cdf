"""`benchvault report`: a static site of the project's pages and charts."""
import json
import os
import re

from conftest import auth, native_run, run_cli


def seed(server):
    for i in range(12):
        body = native_run(sha=f"c{i:03d}", n=2,
                          latency_ms=10 + (i >= 6) * 3,
                          samples=[10.0, 10.5, 11.0])
        body["commit"]["time"] = f"2026-11-{i + 1:02d}T12:00:00Z"
        r = server.post("/api/v1/projects/alpha-q/runs",
                        data=json.dumps(body),
                        headers={**auth(server.write_token),
                                 "Content-Type": "application/json"})
        assert r.status_code == 201, r.text


def test_report_is_a_self_contained_site(server, tmpdir_path):
    seed(server)
    out = os.path.join(tmpdir_path, "site")
    p = run_cli("report", "--db", server.db, "--project", "alpha-q",
                "--out", out)
    assert "files in" in p.stdout
    assert os.path.isfile(os.path.join(out, "index.html"))
    pages = []
    for root, _, files in os.walk(out):
        pages += [os.path.join(root, f) for f in files if f.endswith(".html")]
    assert any("/benchmarks/" in x for x in pages)
    assert any("/runs/" in x for x in pages)
    pngs = 0
    for page in pages:
        html = open(page, encoding="utf-8").read()
        for attr, link in re.findall(r'(href|src)="([^"]*)"', html):
            assert not link.startswith("/"), (page, link)
            if link.startswith(("data:", "http:", "https:", "#")):
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(page),
                                                   link.replace("&amp;",
                                                                "&")))
            assert os.path.isfile(target), (page, link)
            if target.endswith(".png"):
                with open(target, "rb") as f:
                    assert f.read(8) == b"\x89PNG\r\n\x1a\n"
                pngs += 1
    assert pngs > 0


def test_report_errors(server, tmpdir_path):
    out = os.path.join(tmpdir_path, "site")
    p = run_cli("report", "--db", server.db, "--project", "nope", "--out",
                out, check=False)
    assert p.returncode == 2 and "nope" in p.stderr
    p = run_cli("report", "--project", "x", check=False)
    assert p.returncode == 2
