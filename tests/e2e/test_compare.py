"""Comparisons against real history: /compare, budgets, `benchvault compare`
and `benchvault analyze`, with the real server.

The history test replays recorded real runs of the pytest-benchmark suite
(tests/data/histories, history B: six runs of main, heads of identical code
and with test_sort_list 20% slower; README.md there says how they were
made) and checks what a comparison against branch:main says and how it is
written: the baseline is the six runs, each counting once; the JSON, text
and Markdown answers; links.  Whether each verdict is right on such data is
tests/e2e/test_verdicts.py's job.
"""
import json
import os
import re

import requests

from conftest import auth, run_cli

HISTORIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "data", "histories")
PROJECT = "pybench"
TESTBED = "e2e-local"


def to_native(doc, branch, sha, minute, project=PROJECT):
    """pytest-benchmark JSON -> benchvault/v1, for a server without the
    pytest-benchmark adapter (post_suite uses ?format=pytest-benchmark
    first): each benchmark's name (without the [param] suffix) and params,
    and its `latency` in seconds with the raw per-round `data` as samples.
    """
    results = []
    for b in doc["benchmarks"]:
        st = b["stats"]
        m = {"unit": "s", "samples": st["data"], "stddev": st["stddev"]}
        results.append({"benchmark": b["name"].split("[")[0],
                        "params": b.get("params") or {},
                        "measures": {"latency": m}})
    return {"format": "benchvault/v1", "project": project, "branch": branch,
            "commit": {"sha": sha,
                       "time": f"2026-11-26T10:{minute:02d}:00Z"},
            "testbed": {"name": TESTBED}, "results": results}


def post(server, body, project=PROJECT):
    r = server.post(f"/api/v1/projects/{project}/runs", data=json.dumps(body),
                    headers={"Content-Type": "application/json",
                             **auth(server.write_token)})
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


def post_suite(server, doc, branch, sha, minute, project):
    """Posts a pytest-benchmark document as it is (the adapter makes
    `latency` with the rounds as samples, and `throughput` from ops); the
    run fields come as query parameters.  Falls back to the native
    conversion when the server has no such format."""
    r = server.post(f"/api/v1/projects/{project}/runs",
                    params={"format": "pytest-benchmark", "branch": branch,
                            "commit": sha, "testbed": TESTBED},
                    data=json.dumps(doc),
                    headers={"Content-Type": "application/json",
                             **auth(server.write_token)})
    if r.status_code == 415:
        return post(server, to_native(doc, branch, sha, minute, project),
                    project=project)
    assert r.status_code == 201, r.text
    return r.json()["run_id"]


def compare(server, base, head, project=PROJECT, **params):
    r = server.get(f"/api/v1/projects/{project}/compare",
                   params={"base": base, "head": head, **params})
    assert r.status_code == 200, r.text
    return r.json()


def table(title, j):
    lines = [f"== {title}: base {j['base']['ref']} "
             f"(runs {[x['id'] for x in j['base']['runs']]}), head "
             f"{j['head']['ref']}"]
    lines.append(f"{'benchmark':42} {'change':>8} {'95% CI':>18} "
                 f"{'q':>8} {'r2r noise':>9} {'vs hist':>8}  verdict")
    for r in latency(j):
        ci = r["change_ci"]
        ci_s = (f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"
                if ci[0] is not None else "-")
        rr = r["run_to_run"]
        noise = f"{100 * rr['noise']:.1f}%" if rr["noise"] is not None else "-"
        vs = (f"{100 * rr['vs_history']:+.1f}%"
              if rr["vs_history"] is not None else "-")
        q = f"{r['q_value']:.2g}" if r["q_value"] is not None else "-"
        lines.append(f"{r['benchmark']:42} {100 * r['change']:+7.1f}% "
                     f"{ci_s:>18} {q:>8} {noise:>9} {vs:>8}  {r['verdict']}")
    s = j["summary"]
    lines.append(f"summary: {s['regressed']} regressed, {s['improved']} "
                 f"improved, {s['unchanged']} unchanged, "
                 f"{s['inconclusive']} inconclusive")
    return "\n".join(lines)


def save(report):
    text = "\n\n".join(report)
    if os.environ.get("BV_COMPARE_REPORT"):
        with open(os.environ["BV_COMPARE_REPORT"], "w") as f:
            f.write(text + "\n")
    return text


def latency(j):
    """The latency rows (throughput, pytest-benchmark's ops, is derived from
    them: per-round rates 1/t where `data` is present, else one value per
    run, a `no samples` row that is always inconclusive)."""
    return [r for r in j["rows"] if r["measure"] == "latency"]


def regressed(j):
    """The benchmarks with a regressed row: a benchmark whose latency and
    derived throughput both regressed counts once (the same evidence)."""
    return sorted({r["benchmark"] for r in j["rows"]
                   if r["verdict"] == "regressed"})


def recorded_runs(history="B"):
    """Recorded real runs of one history (tests/data/histories)."""
    def load(name):
        with open(os.path.join(HISTORIES, f"{history}-{name}.json")) as f:
            return json.load(f)
    return {"main": [load(f"h{i}") for i in range(1, 7)],
            "same1": load("same1"), "slow": load("slow20-1"),
            "same2": load("same2")}


def check_history(server, runs, project, report):
    for i, doc in enumerate(runs["main"]):
        post_suite(server, doc, "main", f"c{i:06d}", i, project)
    same1 = post_suite(server, runs["same1"], "feature", "f000001", 10,
                       project)
    slow = post_suite(server, runs["slow"], "slow", "s000001", 11, project)
    same2 = post_suite(server, runs["same2"], "feature", "f000002", 12,
                       project)

    j = compare(server, "branch:main", str(slow), project)
    report.append(table("20% slower test_sort_list", j))
    save(report)
    # the baseline: main's six runs, each counting once, run against run
    assert [r["id"] for r in j["base"]["runs"]] == list(range(6, 0, -1))
    assert "the last 6 runs of main" in j["base"]["resolved"]
    assert len(latency(j)) == 11
    assert all(r["kind"] == "runs" and r["base_runs"] +
               r["run_to_run"]["before_last_step"] == 6 and
               r["head_runs"] == 1 for r in latency(j))
    row = next(r for r in latency(j) if r["benchmark"] == "test_sort_list")
    assert 0.10 < row["change"] < 0.35
    assert row["verdict"] in ("regressed", "inconclusive"), row
    for r in j["rows"]:
        assert r["reason"], r
        if r["verdict"] == "regressed":
            assert r["change_ci"][0] > 0 and r["q_value"] < 0.05, r
    # throughput is pytest-benchmark's ops: per round when the run has its
    # rounds, so compared; nothing single-valued is counted as a verdict
    s = j["summary"]
    assert sum(s[v] for v in ("regressed", "improved", "unchanged",
                              "inconclusive")) == len(j["rows"])

    j1 = compare(server, "branch:main", str(same1), project)
    report.append(table("identical code, one head run", j1))
    save(report)
    assert regressed(j1) == [], "\n".join(report)

    j2 = compare(server, "branch:main", f"{same1},{same2}", project)
    report.append(table("identical code, two pooled head runs", j2))
    save(report)
    # the base is main's history, each run counting once; the head pools 2
    assert [len(x["runs"]) for x in (j2["base"], j2["head"])] == [6, 2]
    assert regressed(j2) == [], "\n".join(report)

    # text and Markdown renderings of the same comparison
    t = server.get(f"/api/v1/projects/{project}/compare",
                   params={"base": "branch:main", "head": str(slow),
                           "format": "text"})
    assert t.status_code == 200 and "test_sort_list" in t.text
    assert "regressed" in t.text and t.headers["Content-Type"].startswith(
        "text/plain")
    m = server.get(f"/api/v1/projects/{project}/compare",
                   params={"base": "branch:main", "head": str(slow),
                           "format": "markdown"})
    assert m.status_code == 200 and "test\\_sort\\_list" in m.text
    # a pull-request comment: hidden marker, the verdict first, the
    # changed rows, a chart of this server, every row collapsed
    lines = m.text.splitlines()
    assert re.match(r"### benchvault: \d+ regressions?, \d+ improvements?, "
                    r"\d+ unchanged, \d+ inconclusive", lines[0]), lines[0]
    assert lines[-1] == "<!-- benchvault-comment -->"
    assert m.text.count("<!-- benchvault-comment -->") == 1
    ids = compare(server, "branch:main", str(slow), project)
    base_ids = ",".join(str(r["id"]) for r in ids["base"]["runs"])
    chart = (f"{server.url}/p/{project}/charts/compare.png?"
             f"base={base_ids}&head={slow})")
    assert chart in m.text
    # rows link to their series' history on this server
    assert re.search(r"\| \[test\\_sort\\_list\]\(" +
                     re.escape(server.url) + rf"/p/{project}/benchmarks/\d+"
                     r"\?branch=", m.text)
    assert "<details><summary>All " in m.text
    # the server's URL as readers know it; a bad one is refused
    m = server.get(f"/api/v1/projects/{project}/compare",
                   params={"base": "branch:main", "head": str(slow),
                           "format": "markdown",
                           "link": "https://bench.example.org/"})
    assert m.status_code == 200
    assert "(https://bench.example.org/p/" in m.text
    assert "bench.example.org//" not in m.text
    for bad in ("javascript:alert(1)", "https://x.org/a) [y](z",
                "ftp://x.org"):
        m = server.get(f"/api/v1/projects/{project}/compare",
                       params={"base": "branch:main", "head": str(slow),
                               "format": "markdown", "link": bad})
        assert m.status_code == 400 and "link" in m.json()["detail"], bad

    # A single pair of runs without history: an identical-code change is
    # never called a regression (it would have to pass the 50% allowance).
    nohist = project + "-nohist"
    b = post_suite(server, runs["main"][-1], "main", "n000001", 20, nohist)
    for doc, sha in ((runs["same1"], "n000002"), (runs["same2"], "n000003")):
        h = post_suite(server, doc, "feature", sha, 21, nohist)
        j3 = compare(server, str(b), str(h), project=nohist)
        report.append(table(f"no history, one pair ({sha})", j3))
        save(report)
        # without history only a change past the 50% allowance is called
        # (one wild run on either side can still pass it: B-h6 landed 32%
        # low in batch_size=10, so an identical run reads +57% against it)
        for r in j3["rows"]:
            assert r["run_to_run"]["runs"] <= 1
            if r["verdict"] in ("regressed", "improved"):
                assert r["run_to_run"]["bar_from"] == "allowance", r
                assert abs(r["change"]) > 0.5 and r["change_ci"][0] * \
                    r["change_ci"][1] > 0, r


def test_recorded_history(server):
    report = []
    check_history(server, recorded_runs("B"), "pybench", report)
    print("\n" + save(report))


# ---- smaller checks with synthetic runs ------------------------------------

def synthetic(sha, minute, scale=1.0, branch="main", extra=None, n=30,
              seed=0, pr=None, metadata=None):
    import random
    rnd = random.Random(seed)
    results = []
    for name, base in (("fast", 1.0), ("slow", 5.0)):
        s = [base * scale * (1 + 0.01 * rnd.gauss(0, 1)) for _ in range(n)]
        results.append({"benchmark": name,
                        "measures": {"latency": {"unit": "ms",
                                                 "samples": s}}})
    body = {"format": "benchvault/v1", "project": "syn", "branch": branch,
            "commit": {"sha": sha,
                       "time": f"2026-11-26T11:{minute:02d}:00Z"},
            "testbed": {"name": "tb"}, "results": results,
            "resources": {"samples": [{"t_ms": 0, "cpu_pct": 50,
                                       "rss_bytes": 1e8},
                                      {"t_ms": 100, "cpu_pct": 70,
                                       "rss_bytes": 3e8}]}}
    if pr:
        body["pull_request"] = pr
    if metadata:
        body.update(metadata)
    return body


def test_refs_budgets_and_settings(server):
    ids = [post(server, synthetic(f"m{i:05d}", i, seed=i), project="syn")
           for i in range(6)]
    slow = post(server, synthetic("h00001", 30, scale=1.3, branch="pr",
                                  seed=99), project="syn")

    # refs: ids, branch, commit prefix; the head's base branch by default
    j = compare(server, None, str(slow), project="syn")
    assert j["base"]["ref"] == "branch:main"
    assert j["base"]["runs"][0]["id"] == ids[-1]
    assert regressed(j) == ["fast", "slow"]
    assert compare(server, "commit:m00000", str(slow),
                   project="syn")["base"]["runs"][0]["id"] == ids[0]
    assert compare(server, f"{ids[1]},{ids[2]}", str(slow),
                   project="syn")["summary"]["rows"] == 2
    bad = server.get("/api/v1/projects/syn/compare",
                     params={"base": "tag:x", "head": str(slow)})
    assert bad.status_code == 400
    missing = server.get("/api/v1/projects/syn/compare",
                         params={"base": "branch:nope", "head": str(slow)})
    assert missing.status_code == 404
    assert server.get("/api/v1/projects/nope/compare",
                      params={"head": "1"}).status_code == 404

    # a pull request's base commit picks the base branch's run at it
    pr = post(server, synthetic("p00001", 31, branch="pr", seed=7,
                                pr={"number": 5, "base_branch": "main"},
                                metadata={"base_commit": "m00002"}),
              project="syn")
    j = compare(server, "branch:main", str(pr), project="syn")
    assert j["base"]["runs"][0]["id"] == ids[2]
    assert "base commit" in j["base"]["resolved"]

    # budgets: PUT, GET, evaluated on the head; thresholds per pattern
    doc = {"budgets": [{"benchmark": "fast", "measure": "latency",
                        "max": 1.2, "unit": "ms"},
                       {"measure": "cpu_pct", "max": 90},
                       {"measure": "memory", "max": 200, "unit": "MiB"}],
           "noise_threshold": 0.05,
           "thresholds": [{"benchmark": "sl*", "threshold": 0.5}]}
    h = {"Content-Type": "application/json", **auth(server.write_token)}
    r = requests.put(server.url + "/api/v1/projects/syn/budgets",
                     data=json.dumps(doc), headers=h, timeout=30)
    assert r.status_code == 200, r.text
    g = server.get("/api/v1/projects/syn/budgets").json()
    assert len(g["budgets"]) == 3 and g["budgets"][0]["max"] == 0.0012
    assert g["thresholds"][0]["threshold"] == 0.5
    unauth = requests.put(server.url + "/api/v1/projects/syn/budgets",
                          data=json.dumps(doc), timeout=30)
    assert unauth.status_code == 401
    invalid = requests.put(server.url + "/api/v1/projects/syn/budgets",
                           data=json.dumps({"budgets": [{"max": 1}]}),
                           headers=h, timeout=30)
    assert invalid.status_code == 422

    j = compare(server, "branch:main", str(slow), project="syn")
    by = {b["measure"]: b for b in j["budgets"]}
    assert by["latency"]["status"] == "fail" and by["latency"]["broken"]
    assert by["cpu_pct"]["status"] == "pass"
    assert abs(by["cpu_pct"]["value"] - 60) < 1e-9
    assert by["memory"]["status"] == "fail"
    assert j["summary"]["budgets_failed"] == 2
    # "slow" has a 50% threshold now: a 30% change is not a regression
    assert regressed(j) == ["fast"]
    rb = server.get(f"/api/v1/projects/syn/runs/{slow}/budgets").json()
    assert rb["failed"] == 2

    # budgets sent with a run (its metadata)
    own = post(server, synthetic("h00002", 32, branch="pr", seed=5,
                                 metadata={"budgets": [
                                     {"benchmark": "slow",
                                      "measure": "latency", "min": 9,
                                      "unit": "ms"}]}), project="syn")
    rb = server.get(f"/api/v1/projects/syn/runs/{own}/budgets").json()
    mine = [b for b in rb["budgets"] if b["source"] == f"run {own}"]
    assert len(mine) == 1 and mine[0]["status"] == "fail"


def test_cli_compare_and_analyze(server, tmpdir_path):
    for i in range(5):
        post(server, synthetic(f"m{i:05d}", i, seed=i), project="syn")
    head = post(server, synthetic("h00001", 30, scale=1.3, branch="pr",
                                  seed=99), project="syn")
    p = run_cli("compare", "--server", server.url, "--project", "syn",
                "--base", "branch:main", "--head", str(head))
    assert "regressed" in p.stdout and "fast" in p.stdout
    p = run_cli("compare", "--server", server.url, "--project", "syn",
                "--head", str(head), "--format", "json",
                "--fail-on-regression", check=False)
    assert p.returncode == 1, p.stderr
    assert json.loads(p.stdout)["summary"]["regressed"] == 2
    p = run_cli("compare", "--db", server.db, "--project", "syn", "--head",
                str(head), "--format", "markdown")
    assert "| fast |" in p.stdout
    p = run_cli("compare", "--db", server.db, "--project", "syn", "--head",
                "999", check=False)
    assert p.returncode == 2 and "not in this project" in p.stderr

    # analyze answers from standard input, without a database
    p = run_cli("analyze", "describe", input="1 2 3 4 100\n")
    d = json.loads(p.stdout)
    assert d["n"] == 5 and d["median"] == 3 and d["outliers"] == [100]
    p = run_cli("analyze", "trend", input="[[1, 2], [2, 4.1], [3, 6.2]]")
    assert abs(json.loads(p.stdout)["slope"] - 2.1) < 1e-9
    p = run_cli("analyze", "scaling",
                input="1 1\n10 10\n100 101\n1000 990\n")
    assert json.loads(p.stdout)["best"] == "O(n)"
    base = os.path.join(tmpdir_path, "base.txt")
    with open(base, "w") as f:
        f.write("\n".join(str(10 + 0.01 * (i % 7)) for i in range(40)))
    p = run_cli("analyze", "compare", base, "-",
                input="\n".join(str(12 + 0.01 * (i % 5)) for i in range(40)))
    c = json.loads(p.stdout)
    assert c["verdict"] == "inconclusive"  # 20%: within the 50% allowance
    p = run_cli("analyze", "compare", base, "-", "--allowance", "0",
                input="\n".join(str(12 + 0.01 * (i % 5)) for i in range(40)))
    assert json.loads(p.stdout)["verdict"] == "regressed"
    p = run_cli("analyze", "describe", input="1 two 3", check=False)
    assert p.returncode == 2 and "not a number" in p.stderr
