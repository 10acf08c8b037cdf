"""Tool outputs as files, end to end: the shared fixtures (real outputs of
the real tools), the committed odd cases of tests/data/formats, and
`benchvault push` against the HTTP endpoint.

- Every fixture ingests with its format auto-detected; medians and means
  read back equal the file's after unit conversion; params, testbed and
  commit are filled in.
- Every odd case is stored (with its warnings) or refused with the status
  its `error` file names: never a 5xx, never a half-stored run.
- `push --format auto FILE` (straight into a database) and the HTTP
  endpoint store the same run for the same file.
"""
import csv
import glob
import io
import json
import os

import pytest

from conftest import count_rows, run_cli
from formats_util import by_key, close, key, post, post_files, stored
from test_cli import stored_runs

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "data", "fixtures")  # copies of shared/
CASES = os.path.join(HERE, "..", "data", "formats")
TO_S = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1}


def fixture(*parts):
    return os.path.join(SHARED, *parts)


def need(path):
    if not os.path.exists(path):
        pytest.skip(f"{path} not here")
    with open(path, "rb") as f:
        return f.read()


COMMIT = {"commit": "f00dfeed", "branch": "main"}


# ---- the shared fixtures, auto-detected ------------------------------------

@pytest.mark.parametrize("name", ["baseline.json", "saved_stats_only.json"])
def test_pytest_fixture(server, name):
    body = need(fixture("pytest-benchmark", name))
    doc = json.loads(body)
    run = stored(server, post(server, body))
    assert run["format"] == "pytest-benchmark"
    assert run["commit"]["sha"] == doc["commit_info"]["id"]
    assert run["branch"] == doc["commit_info"]["branch"]
    assert run["testbed"]["name"] == doc["machine_info"]["node"]
    assert run["testbed"]["info"]["cpu"] == doc["machine_info"]["cpu"]["brand"]
    got = by_key(run)
    for b in doc["benchmarks"]:
        lat = got[key(b["name"].split("[")[0], b["params"], "latency")]
        close(lat["median"], b["stats"]["median"], b["name"])
        close(lat["value"], b["stats"]["median"], b["name"])
        close(lat["mean"], b["stats"]["mean"], b["name"])
        assert len(lat["samples"]) == len(b["stats"].get("data", []))
    assert got[key("test_batch_scalability", {"batch_size": 1000},
                   "latency")]


@pytest.mark.parametrize("name", ["reps5_full.json",
                                  "single_run_with_context.json"])
def test_gbench_fixture(server, name):
    body = need(fixture("google-benchmark", name))
    doc = json.loads(body)
    a = post(server, body, params={} if "context" in name else COMMIT)
    run = stored(server, a)
    assert run["format"] == "gbench"
    assert run["commit"]["sha"] in ("f00dfeed", doc["context"].get(
        "git_commit"))
    assert run["testbed"]["name"] == "vm"
    assert run["testbed"]["info"]["cores"] == 2
    assert any("BM_SkipWithError" in w for w in a.json()["warnings"])
    got = by_key(run)
    rows = [b for b in doc["benchmarks"] if not b.get("error_occurred")]
    aggs = {(b["run_name"], b["aggregate_name"]): b for b in rows
            if b["run_type"] == "aggregate"}
    n = 0
    for b in rows:
        if b["run_type"] != "iteration" or b["repetition_index"]:
            continue
        rn = b["run_name"]
        family = rn.split("/")[0]
        res = [r for r in run["results"] if r["benchmark"] == family and
               r["measure"] == "real_time"]
        assert res, rn
        want_median = aggs.get((rn, "median"), b)["real_time"]
        want_mean = aggs.get((rn, "mean"), b)["real_time"]
        unit = TO_S[b["time_unit"]]
        match = [r for r in res if abs(r["median"] - want_median / unit) <=
                 1e-12 * abs(want_median / unit)]
        assert match, f"{rn}: no stored median {want_median}"
        close(match[0]["mean"], want_mean / unit, rn + " mean")
        n += 1
    assert n >= 15
    big = got[key("BM_Sort", {"complexity": "NlgN"}, "big_o_coefficient")]
    want = [b for b in rows if b["name"] == "BM_Sort_BigO"][0]
    close(big["value"], want["real_coefficient"] / 1e9, "BigO")
    assert got[key("BM_StringAppend", {"len": 512, "reserve": 1},
                   "cpu_time")]
    assert got[key("BM_Threaded", {"threads": 2}, "real_time")]


@pytest.mark.parametrize("name", ["compare_3_commands.json",
                                  "param_scan_gzip_level.json"])
def test_hyperfine_fixture(server, name):
    body = need(fixture("hyperfine", name))
    doc = json.loads(body)
    run = stored(server, post(server, body, params=COMMIT))
    assert run["format"] == "hyperfine"
    assert run["commit"]["sha"] == "f00dfeed"
    got = by_key(run)
    for r in doc["results"]:
        raw = r.get("parameters") or {}
        fam = r["command"]
        for k, v in raw.items():
            fam = fam.replace(v, "{" + k + "}")
        wt = got[key(fam, {k: int(v) for k, v in raw.items()}, "wall_time")]
        close(wt["median"], r["median"], fam)
        close(wt["mean"], r["mean"], fam)
        close(wt["value"], r["median"], fam)
    if raw:
        assert got[key("gzip -{level} -c data.txt", {"level": 9}, "user")]


def test_locust_fixture(server):
    stats = need(fixture("locust", "locust_run_stats.csv"))
    hist = need(fixture("locust", "locust_run_stats_history.csv"))
    run = stored(server, post(server, stats, content_type="text/csv",
                              params=dict(COMMIT, testbed="loadgen")))
    assert run["format"] == "locust" and run["testbed"]["name"] == "loadgen"
    got = by_key(run)
    rows = list(csv.DictReader(io.StringIO(stats.decode())))
    for row in rows:
        params = {"method": row["Type"]} if row["Type"] else {}
        lat = got[key(row["Name"], params, "latency")]
        close(lat["median"], float(row["Median Response Time"]) / 1e3,
              row["Name"])
        close(lat["mean"], float(row["Average Response Time"]) / 1e3,
              row["Name"])
        # one value per run (n = 1); the count is kept beside it
        assert lat["n"] == 1 and lat["samples"] == []
        assert run["metadata"]["locust_requests"][lat["key"]]["requests"] \
            == int(row["Request Count"])
    assert got[key("Aggregated", {}, "throughput")]["value"] == \
        float(rows[-1]["Requests/s"])
    # with the history as a second part (requests' own multipart encoding)
    run = stored(server, post_files(server, {"stats": stats,
                                             "stats_history": hist}))
    h = run["metadata"]["locust_history"]
    assert len(h) == len(hist.decode().splitlines()) - 1
    assert h[1]["users"] == 5 and h[1]["median_s"] == 0.003


# ---- the committed cases: stored with warnings, or refused cleanly ---------

def case_dirs(kind):
    return sorted(glob.glob(os.path.join(CASES, kind, "*")))


def case_body(d):
    for name in ("input.json", "input.txt"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            with open(p, "rb") as f:
                return f.read()
    raise AssertionError(d)


def case_file(d, name):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return f.read().strip()


def case_request(server, d):
    ct = case_file(d, "content_type")
    if not ct:
        ct = "application/json" if os.path.exists(
            os.path.join(d, "input.json")) else "text/plain"
    params = {}
    if case_file(d, "format"):
        params["format"] = case_file(d, "format")
    for line in (case_file(d, "overrides") or "").splitlines():
        k, v = line.split(" ", 1)
        params[{"pr_number": "pr"}.get(k, k)] = v
    return post(server, case_body(d), content_type=ct, params=params)


def test_valid_cases_are_stored(server):
    dirs = case_dirs("valid")
    assert len(dirs) >= 20
    for d in dirs:
        want = json.load(open(os.path.join(d, "expected.json")))
        a = case_request(server, d)
        assert a.status_code == 201, (d, a.text)
        assert a.json()["warnings"] == want["warnings"], d
        run = stored(server, a)
        assert run["format"] == want["format"], d
        assert len(run["results"]) == len(want["results"]), d


def test_invalid_cases_are_refused_cleanly(server):
    before = count_rows(server.db)
    dirs = case_dirs("invalid")
    assert len(dirs) >= 15
    for d in dirs:
        if case_file(d, "limits"):
            continue  # limits below the server's defaults: the runner's
        want = case_file(d, "error").splitlines()
        a = case_request(server, d)
        assert a.status_code == int(want[0]), (d, a.status_code, a.text)
        j = a.json()
        assert a.headers["Content-Type"].startswith("application/problem")
        if len(want) > 1 and ": " in want[1] and j.get("errors"):
            ptr, msg = want[1].split(": ", 1)
            if ptr.startswith("?"):  # a parameter given beside the body
                assert j["errors"][0]["pointer"] is None, d
                assert j["errors"][0]["parameter"] == ptr[1:], d
            else:
                assert j["errors"][0]["pointer"] == ptr, d
            assert j["errors"][0]["message"] == msg, d
    assert count_rows(server.db) == before


def test_zero_byte_and_odd_uploads_never_5xx(server):
    before = count_rows(server.db)
    for body, ct in [(b"", "application/json"), (b"", "text/csv"),
                     (b"", "multipart/form-data; boundary=x"),
                     (b"--x\r\n\r\n", "multipart/form-data; boundary=x"),
                     (b"\xff\xfe", "text/plain"),
                     (b"Type,Name,Requests/s\r\n", "text/csv"),
                     (b"BenchmarkX 1 NaN ns/op\n", "text/plain")]:
        a = post(server, body, content_type=ct)
        assert 400 <= a.status_code < 500, (body, ct, a.text)
    assert count_rows(server.db) == before


# ---- push and HTTP store the same run ---------------------------------------

SAME = [
    ("pytest-benchmark", "baseline.json"),
    ("google-benchmark", "reps5_full.json"),
    ("hyperfine", "param_scan_gzip_level.json"),
    ("locust", "locust_run_stats.csv"),
]


@pytest.mark.parametrize("folder,name", SAME)
def test_push_and_http_store_the_same_run(server, tmpdir_path, folder,
                                          name):
    path = fixture(folder, name)
    body = need(path)
    ct = "text/csv" if name.endswith(".csv") else "application/json"
    stored(server, post(server, body, content_type=ct, params=COMMIT))
    db2 = os.path.join(tmpdir_path, "direct.db")
    run_cli("push", "--db", db2, "--create", "--project", "fmt",
            "--format", "auto",
            "--commit", COMMIT["commit"], "--branch", COMMIT["branch"], path)
    assert stored_runs(db2) == stored_runs(server.db)


def test_push_locust_prefix_matches_http_multipart(server, tmpdir_path):
    for suffix in ("stats.csv", "stats_history.csv"):
        need(fixture("locust", "locust_run_" + suffix))
    prefix = os.path.join(tmpdir_path, "lr")
    for suffix in ("stats.csv", "stats_history.csv", "failures.csv"):
        with open(fixture("locust", "locust_run_" + suffix), "rb") as f, \
                open(prefix + "_" + suffix, "wb") as g:
            g.write(f.read())
    stored(server, post_files(server, {
        "stats": open(prefix + "_stats.csv", "rb").read(),
        "stats_history": open(prefix + "_stats_history.csv", "rb").read(),
        "failures": open(prefix + "_failures.csv", "rb").read()},
        params=COMMIT))
    db2 = os.path.join(tmpdir_path, "direct.db")
    run_cli("push", "--db", db2, "--create", "--project", "fmt", "--commit",
            COMMIT["commit"], "--branch", "main", prefix)
    assert stored_runs(db2) == stored_runs(server.db)
    # and over HTTP, as the CLI uploads it
    p = run_cli("push", "--json", "--server", server.url, "--project",
                "fmt", "--format", "locust", "--commit", COMMIT["commit"],
                "--branch", "main", prefix + "_stats.csv",
                env={"BENCHVAULT_TOKEN": server.write_token})
    run = json.loads(p.stdout)
    got = server.get(f"/api/v1/projects/fmt/runs/{run['run_id']}").json()
    assert len(got["metadata"]["locust_history"]) > 5
    assert len(got["metadata"]["locust_failures"]) == 3
