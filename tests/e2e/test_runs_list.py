"""The runs list /p/{project}/runs (issue 17): filters branch, testbed and
commit, paged by a cursor, each run linked to its page; the runs API takes
the same filters; and the compare page offers recent runs and branches to
pick while its free text keeps working."""
import html as htmllib
import json
import re

from conftest import auth

PROJECT = "runs"


def body(sha, minute, branch="main", testbed="tb-a", message=None):
    return {"format": "benchvault/v1", "project": PROJECT, "branch": branch,
            "commit": {"sha": sha,
                       "time": f"2026-11-26T10:{minute:02d}:00Z",
                       "message": message or f"subject {sha}\n\nbody"},
            "testbed": {"name": testbed},
            "results": [{"benchmark": "b", "measures": {
                "latency": {"unit": "ms", "value": 1.0 + minute / 100}}}]}


def post(server, b):
    r = server.post(f"/api/v1/projects/{PROJECT}/runs", data=json.dumps(b),
                    headers={"Content-Type": "application/json",
                             **auth(server.write_token)})
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


def rows(html):
    """Run ids of the runs table, in order."""
    table = html.split('<table class="runs">', 1)[1].split("</table>", 1)[0]
    return [int(x) for x in re.findall(r'<a href="/p/runs/runs/(\d+)">',
                                       table)]


def seed(server):
    ids = {}
    for i in range(60):
        branch = "main" if i % 3 else "feature/x"
        testbed = "tb-a" if i % 2 else "tb-b"
        sha = f"{i:02d}ab{i:02d}cd" + "0" * 32
        ids[i] = post(server, body(sha, i, branch, testbed,
                                   message=f"Change <{i}> & more\nbody"))
    return ids


def test_runs_list_filters_and_pages(server):
    ids = seed(server)
    r = server.get(f"/p/{PROJECT}/runs")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    html = r.text
    first = rows(html)
    assert first == [ids[i] for i in range(59, 9, -1)]  # 50, newest first
    assert "Change &lt;59&gt; &amp; more" in html and "<59>" not in html
    assert "59ab59cd0000" in html  # the short sha
    older = re.search(r'<a href="([^"]*)">Older runs</a>', html)
    assert older, html[-2000:]
    nxt = htmllib.unescape(older.group(1))
    assert nxt == f"/p/{PROJECT}/runs?before={ids[10]}"
    html2 = server.get(nxt).text
    assert rows(html2) == [ids[i] for i in range(9, -1, -1)]
    assert "Older runs" not in html2 and "Newest runs" in html2
    # every run links to its page, which answers
    assert server.get(f"/p/{PROJECT}/runs/{first[0]}").status_code == 200

    # filters: branch, testbed, commit (a prefix), and together
    def ids_for(**params):
        return rows(server.get(f"/p/{PROJECT}/runs", params=params).text)

    want = [ids[i] for i in range(59, -1, -1) if i % 3 == 0][:50]
    assert ids_for(branch="feature/x") == want
    assert ids_for(testbed="tb-b") == [ids[i] for i in range(58, -1, -2)]
    assert ids_for(commit="42ab") == [ids[42]]
    assert ids_for(commit="42ab42cd" + "0" * 32) == [ids[42]]
    assert ids_for(branch="main", testbed="tb-a") == [
        ids[i] for i in range(59, -1, -1) if i % 3 and i % 2]
    none = server.get(f"/p/{PROJECT}/runs", params={"branch": "nope"}).text
    assert "No runs match" in none
    # the form keeps the choice, and offers every branch and testbed
    html = server.get(f"/p/{PROJECT}/runs",
                      params={"branch": "feature/x"}).text
    assert '<option value="feature/x" selected>' in html
    assert '<option value="tb-b">' in html
    # bad input: a clear 400 naming the parameter
    r = server.get(f"/p/{PROJECT}/runs", params={"before": "x"})
    assert r.status_code == 400 and "before" in r.text
    assert server.get("/p/nope/runs").status_code == 404


def test_runs_api_filters(server):
    ids = seed(server)
    url = f"/api/v1/projects/{PROJECT}/runs"
    j = server.get(url, params={"testbed": "tb-b", "limit": 5}).json()
    assert [r["id"] for r in j["runs"]] == [ids[i] for i in (58, 56, 54, 52,
                                                             50)]
    j = server.get(url, params={"commit": "07ab"}).json()
    assert [r["id"] for r in j["runs"]] == [ids[7]]
    j = server.get(url, params={"branch": "feature/x", "testbed": "tb-a",
                                "limit": 3}).json()
    assert [r["id"] for r in j["runs"]] == [ids[57], ids[51], ids[45]]
    assert j["next_before"] == ids[45]


def test_compare_page_picks(server):
    ids = seed(server)
    html = server.get(f"/p/{PROJECT}/compare").text
    assert 'list="refs"' in html
    picks = html.split('<datalist id="refs">', 1)[1].split("</datalist>")[0]
    assert '<option value="branch:main">' in picks
    assert '<option value="branch:feature/x">' in picks
    assert f'<option value="{ids[59]}">' in picks
    # free text still works without JavaScript: a plain GET of the form
    html = server.get(f"/p/{PROJECT}/compare",
                      params={"base": "branch:main",
                              "head": str(ids[59])}).text
    assert '<p class="verdict">' in html
    assert f'value="{ids[59]}"' in html
