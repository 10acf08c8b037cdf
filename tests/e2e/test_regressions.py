"""What is worse now, as a view (issue 17): the regressions page
/p/{project}/regressions, its JSON /api/v1/projects/{project}/regressions
and its Atom feed /p/{project}/regressions.atom.

Acceptance: a project whose benchmark went +20% two runs ago lists it on
the regressions page and the feed, before any alert, with since when (date,
first bad commit and its message, commit range), by how much with its
interval, its state and a link to its chart; the dashboard leads with it.
"""
import html as htmllib
import json
import random
import re
import xml.etree.ElementTree as ET

import requests

from conftest import auth

PROJECT = "regress"
ATOM = "{http://www.w3.org/2005/Atom}"


def run_body(sha, minute, values, message=None):
    results = [{"benchmark": name,
                "measures": {"latency": {"unit": "ms", "samples": s}}}
               for name, s in values.items()]
    commit = {"sha": sha,
              "time": f"2026-11-26T{10 + minute // 60:02d}:"
                      f"{minute % 60:02d}:00Z",
              "message": message or f"commit {sha}\n\nbody of {sha}"}
    return {"format": "benchvault/v1", "project": PROJECT, "branch": "main",
            "commit": commit, "testbed": {"name": "tb"},
            "results": results}


def post(server, body):
    r = server.post(f"/api/v1/projects/{PROJECT}/runs",
                    data=json.dumps(body),
                    headers={"Content-Type": "application/json",
                             **auth(server.write_token)})
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


def samples(rnd, level, n=20, cv=0.01):
    return [level * (1 + cv * rnd.gauss(0, 1)) for _ in range(n)]


def push_step(server, seed=7, runs=24, step_at=22, name="stepped"):
    """steady, wobbly and stepped (or name); stepped is 20% slower from
    run step_at (the last two runs with the defaults).  Returns the run
    ids."""
    rnd = random.Random(seed)
    levels = {"steady": 1.0, name: 2.0, "wobbly": 3.0}
    ids = []
    for i in range(runs):
        vals = {k: samples(rnd, v) for k, v in levels.items()}
        msg = None
        if i >= step_at:
            vals[name] = samples(rnd, 2.4)
        if i == step_at:
            msg = "Parse <headers> & cookies eagerly\n\nThe slow one."
        ids.append(post(server, run_body(f"c{i:04d}", i, vals, msg)))
    return ids


def test_step_two_runs_ago_listed_before_any_alert(server):
    ids = push_step(server)
    alerts = server.get(f"/api/v1/projects/{PROJECT}/alerts").json()
    assert not [a for a in alerts["alerts"]
                if a["benchmark"]["key"] == "stepped"], alerts

    # JSON: one series, with since when, by how much and its state
    j = server.get(f"/api/v1/projects/{PROJECT}/regressions").json()
    assert j["project"] == PROJECT and j["count"] == 1, j
    (r,) = j["regressions"]
    assert r["benchmark"]["key"] == "stepped" and r["measure"] == "latency"
    assert r["state"] == "suspected" and r["alert_id"] is None
    assert 0.15 < r["change"] < 0.25, r
    lo, hi = r["change_ci"]
    assert lo < r["change"] < hi and lo > 0.05, r
    assert r["runs"] == 2
    assert r["first_bad"] == {"run_id": ids[22], "commit": "c0022"}
    assert r["last_good"] == {"run_id": ids[21], "commit": "c0021"}
    assert r["first_bad_message"] == "Parse <headers> & cookies eagerly"
    assert r["since"] == "2026-11-26T10:22:00Z"
    assert r["branch"] == "main" and r["testbed"] == "tb"

    # the page: the row, escaped, linked to its chart and its first bad run
    page = server.get(f"/p/{PROJECT}/regressions")
    assert page.status_code == 200
    html = page.text
    assert "Parse &lt;headers&gt; &amp; cookies eagerly" in html
    assert "<headers>" not in html
    row = re.search(r"<tr><td><a href=\"([^\"]*)\">stepped</a>(.*?)</tr>",
                    html, re.S)
    assert row, html
    assert htmllib.unescape(row.group(1)).startswith(f"/p/{PROJECT}/benchmarks/")
    cells = htmllib.unescape(row.group(2))
    assert "suspected" in cells and "2026-11-26T10:22:00Z" in cells
    assert re.search(r"\+(1[5-9]|2[0-4])\.\d%", cells), cells
    assert "95% CI" in cells
    assert f"/p/{PROJECT}/runs/{ids[22]}" in cells
    assert "<code>c0021</code>..<code>c0022</code>" in cells
    assert f"compare?base={ids[21]}&head={ids[22]}" in cells
    chart = re.search(r"href=\"(/p/[^\"]*/charts/trend\.png[^\"]*)\"", cells)
    assert chart, cells
    png = server.get(chart.group(1))
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    for other in ("steady", "wobbly"):
        assert f">{other}</a>" not in html

    # the feed: valid Atom with one entry for the series
    feed = server.get(f"/p/{PROJECT}/regressions.atom")
    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    assert root.tag == ATOM + "feed"
    for need in ("id", "title", "updated"):
        assert root.find(ATOM + need) is not None, need
    entries = root.findall(ATOM + "entry")
    assert len(entries) == 1
    e = entries[0]
    assert "stepped" in e.find(ATOM + "title").text
    assert "suspected" in e.find(ATOM + "title").text
    summary = e.find(ATOM + "summary").text
    assert "c0022" in summary and "Parse <headers> & cookies" in summary
    assert e.find(ATOM + "updated").text == "2026-11-26T10:22:00Z"
    link = e.find(ATOM + "link").get("href")
    assert link.startswith(f"/p/{PROJECT}/benchmarks/")
    assert server.get(link).status_code == 200

    # the dashboard leads with it, linking to the whole list
    dash = server.get(f"/p/{PROJECT}").text
    head = dash.split("<h2>Worse now</h2>", 1)[1].split("<h2>", 1)[0]
    assert ">stepped</a>" in head
    assert f"href=\"/p/{PROJECT}/regressions\"" in head
    assert dash.index("<h2>Worse now</h2>") < dash.index("Open alerts")
    # under a search the rows are only some: no "worse now" head then
    dash = server.get(f"/p/{PROJECT}", params={"q": "steady"}).text
    assert "<h2>Worse now</h2>" not in dash


def test_alert_open_then_known(server):
    """Once the change point is confirmed the row says so (alert open), and
    an acknowledged alert stays listed as known until it is resolved."""
    ids = push_step(server, seed=11, runs=30, step_at=15)
    alerts = server.get(f"/api/v1/projects/{PROJECT}/alerts",
                        params={"status": "open"}).json()["alerts"]
    mine = [a for a in alerts if a["benchmark"]["key"] == "stepped"]
    assert len(mine) == 1, alerts
    j = server.get(f"/api/v1/projects/{PROJECT}/regressions").json()
    (r,) = j["regressions"]
    assert r["state"] == "regressed" and r["alert_id"] == mine[0]["id"]
    assert r["first_bad"]["run_id"] == ids[15], (r, mine[0])
    assert r["first_bad_message"] == "Parse <headers> & cookies eagerly"
    assert 0.15 < r["change"] < 0.25 and r["runs"] == 15
    assert r["change_ci"][0] < r["change"] < r["change_ci"][1]
    assert "alert open" in server.get(f"/p/{PROJECT}/regressions").text
    # the alerts page: its dates and the first bad commit's subject
    html = server.get(f"/p/{PROJECT}/alerts").text
    assert "<th>Since</th><th>Opened</th>" in html
    assert "Parse &lt;headers&gt; &amp; cookies eagerly" in html
    assert "<td>2026-11-26T10:15:00Z</td><td>20" in html
    rr = requests.patch(f"{server.url}/api/v1/alerts/{mine[0]['id']}",
                        json={"status": "acknowledged"},
                        headers=auth(server.write_token), timeout=30)
    assert rr.status_code == 200, rr.text
    j = server.get(f"/api/v1/projects/{PROJECT}/regressions").json()
    assert [x["state"] for x in j["regressions"]] == ["known"]
    root = ET.fromstring(server.get(f"/p/{PROJECT}/regressions.atom").content)
    (e,) = root.findall(ATOM + "entry")
    assert "(known)" in e.find(ATOM + "title").text


def test_nothing_worse_and_unknown_project(server):
    rnd = random.Random(3)
    for i in range(6):
        post(server, run_body(f"q{i:04d}", i, {"flat": samples(rnd, 1.0)}))
    j = server.get(f"/api/v1/projects/{PROJECT}/regressions").json()
    assert j["regressions"] == [] and j["count"] == 0
    html = server.get(f"/p/{PROJECT}/regressions").text
    assert "Nothing is worse now" in html
    root = ET.fromstring(server.get(f"/p/{PROJECT}/regressions.atom").content)
    assert root.findall(ATOM + "entry") == []
    assert server.get("/p/nope/regressions").status_code == 404
    assert server.get("/p/nope/regressions.atom").status_code == 404
    r = server.get("/api/v1/projects/nope/regressions")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/problem+json")


def test_commits_link_to_the_repository(server):
    """A project that knows its repository (PATCH /api/v1/projects/{p},
    schema 0007) links commits and commit ranges to it; bad URLs are a 422
    naming the field."""
    ids = push_step(server, seed=5)
    url = f"/api/v1/projects/{PROJECT}"
    hdr = {"Content-Type": "application/json", **auth(server.write_token)}

    def patch(body, headers=hdr, project=PROJECT):
        return requests.patch(f"{server.url}/api/v1/projects/{project}",
                              data=json.dumps(body), headers=headers,
                              timeout=30)

    # before: no link anywhere
    assert "/commit/" not in server.get(f"/p/{PROJECT}/runs/{ids[22]}").text
    for bad in ("javascript:alert(1)", "https://x/\"><b>", "ftp://h/r",
                "https://user@h/r", "https://h/r?x=1", 5, ["x"]):
        r = patch({"repository_url": bad})
        assert r.status_code == 422, (bad, r.status_code, r.text)
        assert r.headers["Content-Type"].startswith("application/problem")
        assert "repository_url" in r.text, r.text
    assert patch({}).status_code == 422
    assert patch({"repository_url": "https://h/r"},
                 project="nope").status_code == 404
    r = patch({"repository_url": "https://h/r"},
              headers={"Content-Type": "application/json"})
    assert r.status_code == 401
    r = patch({"repository_url": "https://git.example.com/team/app/"})
    assert r.status_code == 200, r.text
    assert r.json()["repository_url"] == "https://git.example.com/team/app"
    listed = server.get("/api/v1/projects").json()["projects"]
    assert [p["repository_url"] for p in listed if p["slug"] == PROJECT] == [
        "https://git.example.com/team/app"]

    repo = "https://git.example.com/team/app"
    run = server.get(f"/p/{PROJECT}/runs/{ids[22]}").text
    assert f'href="{repo}/commit/c0022"' in run
    reg = server.get(f"/p/{PROJECT}/regressions").text
    assert f'href="{repo}/compare/c0021...c0022"' in reg
    runs = server.get(f"/p/{PROJECT}/runs").text
    assert f'href="{repo}/commit/c0023"' in runs

    # null clears it
    r = patch({"repository_url": None})
    assert r.status_code == 200 and r.json()["repository_url"] is None
    assert "/commit/" not in server.get(f"/p/{PROJECT}/runs/{ids[22]}").text


def test_hostile_names_stay_text(server):
    """A benchmark named like markup is text on the page (valid HTML5, as
    tidy reads it) and in the feed (well-formed XML whose title holds the
    name as it is)."""
    from test_pages import XSS_BENCH, get_page
    push_step(server, seed=13, name=XSS_BENCH)
    html = get_page(server, f"/p/{PROJECT}/regressions")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    feed = server.get(f"/p/{PROJECT}/regressions.atom")
    assert b"<script>" not in feed.content
    (e,) = ET.fromstring(feed.content).findall(ATOM + "entry")
    assert e.find(ATOM + "title").text.startswith(XSS_BENCH + " latency +")
    get_page(server, f"/p/{PROJECT}")
