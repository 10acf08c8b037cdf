"""What is worse now, on the dashboard (issue 11) and at any size (issue 12):

- a benchmark that went +20% two runs ago reads as worse now ("suspected",
  first in the default sort) before any alert opens, although its last run
  against the one before it reads about 0%;
- an acknowledged alert stays on the dashboard as a known regression;
- a project of 2,000 benchmarks is ranked whole: the worst series is first
  even when its benchmark is the last one created, every row is on some
  page, and `benchvault report` writes every benchmark page.
"""
import json
import os
import random
import re

import requests

from conftest import auth, run_cli

PROJECT = "worse"


def run_body(sha, minute, values, branch="main", project=PROJECT):
    results = [{"benchmark": name,
                "measures": {"latency": {"unit": "ms", "samples": s}}}
               for name, s in values.items()]
    return {"format": "benchvault/v1", "project": project, "branch": branch,
            "commit": {"sha": sha,
                       "time": f"2026-11-26T{10 + minute // 60:02d}:"
                               f"{minute % 60:02d}:00Z"},
            "testbed": {"name": "tb"}, "results": results}


def post(server, body, project=PROJECT):
    r = server.post(f"/api/v1/projects/{project}/runs",
                    data=json.dumps(body),
                    headers={"Content-Type": "application/json",
                             **auth(server.write_token)})
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


def samples(rnd, level, n=20, cv=0.01):
    return [level * (1 + cv * rnd.gauss(0, 1)) for _ in range(n)]


def dashboard_rows(html):
    """(benchmark, change text, state) per row of the benchmarks table."""
    body = html.split("<h2>Benchmarks</h2>", 1)[1]
    rows = re.findall(r"<tr><td><a [^>]*>([^<]*)</a></td>(.*?)</tr>", body,
                      re.S)
    out = []
    for name, rest in rows:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", rest, re.S)
        # measure, trend, last, now vs history, state, noise
        out.append((name, re.sub(r"<[^>]+>", "", cells[3]).strip(),
                    re.sub(r"<[^>]+>", "", cells[4]).strip()))
    return out


def test_step_two_runs_ago_is_worse_now(server):
    rnd = random.Random(7)
    levels = {"steady": 1.0, "stepped": 2.0, "wobbly": 3.0}
    for i in range(24):
        vals = {k: samples(rnd, v) for k, v in levels.items()}
        if i >= 22:  # the last two runs: stepped is 20% slower
            vals["stepped"] = samples(rnd, 2.4)
        post(server, run_body(f"c{i:04d}", i, vals))
    # no alert yet: the change-point rule waits for more runs at the level
    alerts = server.get(f"/api/v1/projects/{PROJECT}/alerts").json()
    assert not [a for a in alerts["alerts"]
                if a["benchmark"]["key"] == "stepped" and a["status"] == "open"]
    html = server.get(f"/p/{PROJECT}").text
    rows = dashboard_rows(html)
    assert rows[0][0] == "stepped", rows
    change = float(rows[0][1].split("%")[0])
    assert 15 < change < 25, rows[0]
    assert "2 runs" in rows[0][1], rows[0]
    assert rows[0][2] == "suspected", rows[0]
    for name, _, state in rows[1:]:
        assert state == "", (name, state)


def test_acknowledged_alert_stays_visible(server):
    rnd = random.Random(11)
    for i in range(30):
        level = 2.0 if i < 15 else 2.6
        post(server, run_body(f"d{i:04d}", i,
                              {"steady": samples(rnd, 1.0),
                               "stepped": samples(rnd, level)}))
    alerts = server.get(f"/api/v1/projects/{PROJECT}/alerts",
                        params={"status": "open"}).json()["alerts"]
    mine = [a for a in alerts if a["benchmark"]["key"] == "stepped"]
    assert mine, alerts
    r = requests.patch(f"{server.url}/api/v1/alerts/{mine[0]['id']}",
                       json={"status": "acknowledged"},
                       headers=auth(server.write_token), timeout=30)
    assert r.status_code == 200, r.text
    html = server.get(f"/p/{PROJECT}").text
    assert "Known regressions" in html
    known = html.split("Known regressions", 1)[1].split("</table>", 1)[0]
    assert "stepped" in known
    rows = dashboard_rows(html)
    assert ("stepped", rows[0][1], "known") == rows[0], rows[:3]


def test_two_thousand_benchmarks_ranked_whole(server, tmpdir_path):
    rnd = random.Random(3)
    n = 2000
    for i in range(5):
        results = []
        for b in range(n):
            level = 1.0 + b / n
            if b == n - 1 and i >= 3:
                level *= 1.5  # the last benchmark created got slower
            results.append({"benchmark": f"b{b:04d}",
                            "measures": {"latency": {
                                "unit": "ms",
                                "samples": samples(rnd, level, n=5)}}})
        body = {"format": "benchvault/v1", "project": "big",
                "branch": "main",
                "commit": {"sha": f"e{i:04d}",
                           "time": f"2026-11-26T12:0{i}:00Z"},
                "testbed": {"name": "tb"}, "results": results}
        post(server, body, project="big")
    html = server.get("/p/big").text
    assert "of 2000, ranked together" in html
    rows = dashboard_rows(html)
    assert rows[0][0] == "b1999", rows[:3]
    seen = set()
    page = 1
    while True:
        h = server.get("/p/big", params={"page": page}).text
        got = [r[0] for r in dashboard_rows(h)]
        if not got or page > 20:
            break
        seen.update(got)
        page += 1
    assert len(seen) == n
    assert server.get("/p/big", params={"page": "x"}).status_code == 400



def test_report_writes_every_benchmark(server, tmpdir_path):
    """260 benchmarks with 4 measures: 1,040 dashboard rows, past the
    1,000 at which the dashboard used to stop; the static report must
    still save a page for every benchmark (benchmarks/ID.html)."""
    rnd = random.Random(5)
    n = 260
    for i in range(3):
        results = [{"benchmark": f"b{b:03d}",
                    "measures": {m: {"unit": "ms",
                                     "samples": samples(rnd, 1 + b / n, n=3)}
                                 for m in ("latency", "p50", "p90", "p99")}}
                   for b in range(n)]
        body = {"format": "benchvault/v1", "project": "rep",
                "branch": "main",
                "commit": {"sha": f"f{i:04d}",
                           "time": f"2026-11-26T12:0{i}:00Z"},
                "testbed": {"name": "tb"}, "results": results}
        post(server, body, project="rep")
    assert "of 1040, ranked together" in server.get("/p/rep").text
    out = os.path.join(tmpdir_path, "site")
    run_cli("report", "--db", server.db, "--project", "rep", "--out", out,
            timeout=800)
    ids = {int(m.group(1)) for f in os.listdir(os.path.join(out, "benchmarks"))
           for m in [re.match(r"^(\d+)\.html$", f)] if m}
    assert len(ids) == n, sorted(ids)[:10]


def test_nothing_comparable_is_said(server):
    """A base with no benchmark in common (issue 12 item 6): the page, the
    text and the comment say nothing was comparable, never 'No benchmark
    changed'."""
    rnd = random.Random(9)
    a = post(server, run_body("n0001", 1, {"alpha": samples(rnd, 1.0)},
                              project="nc"), project="nc")
    b = post(server, run_body("n0002", 2, {"beta": samples(rnd, 1.0)},
                              branch="feature", project="nc"), project="nc")
    html = server.get("/p/nc/compare", params={"base": a, "head": b}).text
    assert "Nothing was comparable" in html
    assert "No benchmark changed" not in html
    j = server.get("/api/v1/projects/nc/compare",
                   params={"base": a, "head": b}).json()
    assert j["rows"] == [] and j["only_in_base"] and j["only_in_head"]
    md = server.get("/api/v1/projects/nc/compare",
                    params={"base": a, "head": b, "format": "markdown"}).text
    assert "**Nothing was comparable**" in md
    txt = server.get("/api/v1/projects/nc/compare",
                     params={"base": a, "head": b, "format": "text"}).text
    assert "nothing was comparable" in txt
    html = server.get(f"/p/nc/runs/{b}").text
    assert "No benchmark changed" not in html
