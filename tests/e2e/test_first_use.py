"""Issue 12 ("Right on first use"), the ingest and server items, and issue 11
item 3 on the ingest side, through the real server:

- (4) a hyperfine parameter scan is one family, named by the scan's own
  `parameters`, even where a value also occurs as literal text
  (`seq {n}000000 | gzip -1`);
- (10) every format warns, the same way, when a run has no branch or no
  commit (and pytest-benchmark when its tree was dirty); a branch and commit
  given beside the body silence it; `push` prints the same warnings;
- (14) a 405's `Allow` lists the methods of that path only; every bad query
  parameter is a problem+json error naming the parameter, never a pointer
  into the body;
- (11.3) pytest-benchmark's throughput has per-round samples 1/t and is
  marked derived; single values per run (hyperfine user/system, locust) have
  n = 1, never a count no sample stands behind.

The inputs are real tool outputs committed under tests/data/formats.
"""
import json
import os

import pytest

from conftest import auth, native_run, run_cli
from formats_util import by_key, close, close_all, key, post, post_files, \
    stored

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "..", "data", "formats", "valid")


def case(name, fname=None):
    d = os.path.join(CASES, name)
    for f in ([fname] if fname else ["input.json", "input.txt"]):
        p = os.path.join(d, f)
        if os.path.exists(p):
            with open(p, "rb") as fh:
                return fh.read()
    raise AssertionError(f"no input in {d}")


def case_ctype(name):
    p = os.path.join(CASES, name, "content_type")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return f.read().strip()


def missing(warnings):
    """Which of branch and commit the warnings say are missing."""
    out = set()
    for w in warnings:
        for field in ("branch", "commit"):
            if w.startswith(f"no {field} in the "):
                assert "stored as" in w and f"?{field}=" in w, w
                out.add(field)
    return out


# ---- item 10: one warning for every format ----------------------------------

# (case, format, Content-Type); each file names neither branch nor commit.
NO_RUN_FIELDS = [
    ("gbench_reps5_full", "gbench", None),
    ("hyperfine_compare_3_commands", "hyperfine", None),
    ("hyperfine_scan_value_in_literal", "hyperfine", None),
    ("locust_stats_csv", "locust", "text/csv"),
    ("locust_multipart_all", "locust", None),
    ("gotest_cpu_list", "gotest", "text/plain"),
    ("bmf_bencher_example", "bmf", None),
]


@pytest.mark.parametrize("name,fmt,ctype", NO_RUN_FIELDS)
def test_missing_branch_and_commit_warned(server, name, fmt, ctype):
    body = case(name)
    ctype = case_ctype(name) or ctype or "application/json"
    a = post(server, body, content_type=ctype)
    assert a.status_code == 201, a.text
    warnings = a.json()["warnings"]
    assert missing(warnings) == {"branch", "commit"}, warnings
    assert any(f"in the {fmt} input" in w for w in warnings), warnings
    run = stored(server, a)
    assert run["branch"] == "unknown" and run["commit"]["sha"] == "unknown"

    # Given beside the body: no such warning, and stored as given.
    a = post(server, body, content_type=ctype,
             params={"branch": "main", "commit": "abc123"})
    assert a.status_code == 201, a.text
    assert missing(a.json()["warnings"]) == set(), a.json()["warnings"]
    run = stored(server, a)
    assert run["branch"] == "main" and run["commit"]["sha"] == "abc123"

    # One of the two given: only the other is said.
    a = post(server, body, content_type=ctype, params={"branch": "main"})
    assert missing(a.json()["warnings"]) == {"commit"}


def test_native_without_branch_and_commit_warned(server):
    body = native_run()
    del body["branch"]
    del body["commit"]
    a = post(server, json.dumps(body), project="alpha-q")
    assert a.status_code == 201, a.text
    assert missing(a.json()["warnings"]) == {"branch", "commit"}
    # The usual native run names both: no warning at all.
    a = post(server, json.dumps(native_run(sha="c2")), project="alpha-q")
    assert a.json()["warnings"] == []


def pytest_doc(**commit_info):
    doc = json.loads(case("pytest_baseline"))
    doc["commit_info"].update(commit_info)
    return doc


def test_pytest_placeholders_warned_once(server):
    doc = pytest_doc(id="unversioned", branch="(detached head)")
    a = post(server, json.dumps(doc))
    assert a.status_code == 201, a.text
    w = a.json()["warnings"]
    assert missing(w) == {"branch", "commit"}, w
    # one warning per field (the adapter no longer says it a second time),
    # quoting what the file said
    assert sum("branch" in x and "stored as" in x for x in w) == 1, w
    assert any('"(detached head)"' in x for x in w), w
    assert any('"unversioned"' in x for x in w), w


def test_pytest_dirty_tree_warned(server):
    doc = pytest_doc(dirty=True)
    a = post(server, json.dumps(doc))
    assert a.status_code == 201, a.text
    w = a.json()["warnings"]
    assert missing(w) == set(), w
    assert any("uncommitted changes" in x and doc["commit_info"]["id"] in x
               for x in w), w
    # A clean tree says nothing; a commit named beside the body vouches.
    a = post(server, json.dumps(pytest_doc(dirty=False)))
    assert not any("uncommitted" in x for x in a.json()["warnings"])
    a = post(server, json.dumps(doc), params={"commit": "f00d"})
    assert not any("uncommitted" in x for x in a.json()["warnings"])


def test_push_prints_the_same_warnings(server, tmpdir_path):
    path = os.path.join(tmpdir_path, "hf.json")
    with open(path, "wb") as f:
        f.write(case("hyperfine_compare_3_commands"))
    p = run_cli("push", "--server", server.url, "--token", server.write_token,
                "--project", "pushed", path)
    assert "warning: no branch in the hyperfine input" in p.stderr, p.stderr
    assert "warning: no commit in the hyperfine input" in p.stderr, p.stderr
    p = run_cli("push", "--server", server.url, "--token", server.write_token,
                "--project", "pushed", "--branch", "main", "--commit", "c1",
                path)
    assert "no branch" not in p.stderr and "no commit" not in p.stderr, \
        p.stderr
    db = os.path.join(tmpdir_path, "local.db")
    p = run_cli("push", "--db", db, "--create", "--project", "local", path)
    assert "warning: no branch in the hyperfine input" in p.stderr, p.stderr


# ---- item 4: a parameter scan is one family ---------------------------------

def families(server, project):
    r = server.get(f"/api/v1/projects/{project}/benchmarks")
    assert r.status_code == 200, r.text
    out = {}
    for b in r.json()["benchmarks"]:
        out.setdefault(b["name"], []).append(b["params"])
    return out


@pytest.mark.parametrize("name,want", [
    # seq {n}000000 | gzip -1 with n = 1..5: the "1" of "-1" is text
    ("hyperfine_scan_value_in_literal",
     {"seq {n}000000 | gzip -1": [{"n": i} for i in range(1, 6)]}),
    # -L n 1,2,10 -L lvl 1,2: two parameters, "1" in "10" and in "-1"
    ("hyperfine_list_two_params",
     {"seq {n}00000 | gzip -{lvl}": [{"lvl": lv, "n": n}
                                     for lv in (1, 2) for n in (1, 2, 10)]}),
    # two commands in one scan; the second puts n in two places
    ("hyperfine_two_commands_scan",
     {"seq {n}00000 | gzip -1": [{"n": i} for i in (1, 2, 3)],
      "seq {n}0000 | gzip -{n}": [{"n": i} for i in (1, 2, 3)]}),
    # -n 'gz1-{n}': the name is the template
    ("hyperfine_named_scan", {"gz1-{n}": [{"n": i} for i in (1, 2, 3)]}),
    # the shared fixture: gzip -{level} -c data.txt, level 1..9 step 2
    ("hyperfine_param_scan_gzip_level",
     {"gzip -{level} -c data.txt": [{"level": i} for i in (1, 3, 5, 7, 9)]}),
])
def test_hyperfine_scan_is_one_family(server, name, want):
    a = post(server, case(name), project="scan",
             params={"branch": "main", "commit": "c1"})
    assert a.status_code == 201, a.text
    assert a.json()["warnings"] == []
    got = families(server, "scan")
    key_of = lambda p: json.dumps(p, sort_keys=True)  # noqa: E731
    assert {k: sorted(map(key_of, v)) for k, v in got.items()} == \
        {k: sorted(map(key_of, v)) for k, v in want.items()}
    # the scaling chart sees every member of the family
    fam = next(iter(want))
    param = next(iter(want[fam][0]))
    if len(want[fam][0]) == 1:
        r = server.get("/p/scan/charts/scaling.png",
                       params={"benchmark": fam, "param": param,
                               "measure": "wall_time"})
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "image/png"


# ---- issue 11 item 3: derived throughput, honest n --------------------------

def test_pytest_throughput_per_round(server):
    doc = json.loads(case("pytest_baseline"))
    run = stored(server, post(server, json.dumps(doc)))
    got = by_key(run)
    for b in doc["benchmarks"]:
        fam = b["name"].split("[")[0]
        tp = got[key(fam, b["params"], "throughput")]
        lat = got[key(fam, b["params"], "latency")]
        data = b["stats"]["data"]
        assert tp["derived"] is True and lat["derived"] is False
        close(tp["value"], b["stats"]["ops"], b["name"])  # pytest's own ops
        close_all(tp["samples"], [1.0 / t for t in data], b["name"])
        assert tp["n"] == len(data) == lat["n"] == len(lat["samples"])
        srt = sorted(data)
        mid = len(srt) // 2
        med = srt[mid] if len(srt) % 2 else (srt[mid - 1] + srt[mid]) / 2
        rates = sorted(1.0 / t for t in data)
        rmed = rates[mid] if len(rates) % 2 else \
            (rates[mid - 1] + rates[mid]) / 2
        close(tp["median"], rmed, b["name"])
        # = 1/median time for an odd count; the mean of two middle rates
        # for an even one, a hair away from it
        assert abs(tp["median"] - 1.0 / med) <= 1e-3 * tp["median"]


@pytest.mark.parametrize("name,ctype,derived", [
    ("gbench_reps5_full", "application/json",
     {"items_per_second", "bytes_per_second"}),
    ("gotest_cpu_list", "text/plain", {"bytes_per_second"}),
])
def test_tool_rates_are_derived(server, name, ctype, derived):
    run = stored(server, post(server, case(name), content_type=ctype,
                              params={"branch": "main", "commit": "c"}))
    seen = set()
    for r in run["results"]:
        assert r["derived"] is (r["measure"] in derived), r
        if r["derived"]:
            seen.add(r["measure"])
            assert r["n"] == len(r["samples"]) > 0, r  # still decidable
    assert seen, run["results"][:3]


def test_pytest_throughput_without_data_is_one_value(server):
    doc = json.loads(case("pytest_saved_stats_only"))
    run = stored(server, post(server, json.dumps(doc)))
    for r in run["results"]:
        if r["measure"] == "throughput":
            assert r["derived"] is True
            assert r["samples"] == [] and r["n"] == 1, r
        else:
            # a summary Welch can use: n = rounds beside a stddev
            assert r["samples"] == [] and r["stddev"] is not None, r
            assert r["n"] > 1, r


def test_single_values_have_n_1(server):
    run = stored(server, post(server, case("hyperfine_param_scan_gzip_level"),
                              params={"branch": "main", "commit": "c"}))
    for r in run["results"]:
        if r["measure"] in ("user", "system"):
            assert r["n"] == 1 and r["samples"] == [], r
        else:
            assert r["n"] == len(r["samples"]) == 10, r
    a = post(server, case("locust_stats_csv"), content_type="text/csv",
             params={"branch": "main", "commit": "c"})
    run = stored(server, a)
    for r in run["results"]:
        assert r["n"] == 1 and r["samples"] == [], r
    # the request counts are kept, by benchmark key
    counts = run["metadata"]["locust_requests"]
    assert counts["Aggregated"]["requests"] > 0


# ---- item 14: 405 and query-parameter errors --------------------------------

@pytest.mark.parametrize("method,path,allow", [
    ("POST", "/api/v1/projects", "GET, HEAD"),
    ("DELETE", "/api/v1/projects/p/runs", "GET, HEAD, POST"),
    ("GET", "/api/v1/alerts/1", "PATCH"),
    ("DELETE", "/api/v1/projects/p/budgets", "GET, HEAD, PUT"),
    ("PUT", "/api/health", "GET, HEAD"),
    ("GET", "/p/p/alerts/login", "POST"),
])
def test_405_allow_lists_that_paths_methods(server, method, path, allow):
    r = server.get(path) if method == "GET" else \
        __import__("requests").request(method, server.url + path, timeout=30)
    assert r.status_code == 405, r.text
    assert r.headers["Allow"] == allow
    assert allow in r.json()["detail"]


def test_404_has_no_allow(server):
    r = server.get("/api/v1/nothing-here")
    assert r.status_code == 404 and "Allow" not in r.headers


def query_error(r, name, status=400, detail=True):
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/problem+json"
    p = r.json()
    if detail:
        assert p["detail"].startswith(f'query parameter "{name}"'), p
    assert p["errors"][0]["pointer"] is None, p
    assert p["errors"][0]["parameter"] == name, p
    return p


@pytest.mark.parametrize("path,params,name", [
    ("/api/v1/projects/alpha-q/runs", {"limit": "abc"}, "limit"),
    ("/api/v1/projects/alpha-q/runs", {"before": "-3"}, "before"),
    ("/api/v1/projects/alpha-q/alerts", {"limit": "0"}, "limit"),
    ("/api/v1/projects/alpha-q/alerts", {"status": "gone"}, "status"),
    ("/api/v1/projects/alpha-q/series", {}, "benchmark"),
    ("/api/v1/projects/alpha-q/compare",
     {"base": "1", "head": "1", "threshold": "x"}, "threshold"),
    ("/api/v1/projects/alpha-q/compare",
     {"base": "1", "head": "1", "history": "0"}, "history"),
    ("/api/v1/projects/alpha-q/compare",
     {"base": "1", "head": "1", "format": "yaml"}, "format"),
    ("/p/alpha-q/charts/trend.png", {"benchmark": "bench_0", "width": "1"},
     "width"),
    ("/p/alpha-q/charts/resources.png", {}, "run"),
    ("/p/alpha-q/charts/compare.png", {}, "head"),
    ("/p/alpha-q/charts/distribution.svg",
     {"benchmark": "bench_0", "head": "1", "format": "png"}, "format"),
])
def test_bad_query_parameter_is_named(server, path, params, name):
    a = post(server, json.dumps(native_run()), project="alpha-q")
    assert a.status_code == 201, a.text
    query_error(server.get(path, params=params), name)


def test_ingest_query_errors_name_the_parameter(server):
    body = json.dumps(native_run())
    query_error(post(server, body, project="alpha-q", params={"pr": "x"}),
                "pr")
    # A run field given beside the body that is not text is the caller's
    # syntax error: 400, like every other bad query parameter (issue 13.3).
    p = query_error(post(server, body, project="alpha-q",
                         params={"branch": "a\nb"}), "branch", 400)
    assert "/branch" not in json.dumps(p)
    query_error(post(server, body, project="alpha-q",
                     params={"format": "criterion"}), "format", 415,
                detail=False)
