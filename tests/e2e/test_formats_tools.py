"""Each tool format end to end with the REAL tool from its Debian package.

Every test runs the tool on a tiny workload at test time, posts what it
wrote to the real server (format auto-detected), reads the run back through
the API, and checks every stored number against the tool's own number after
unit conversion (relative error below 1e-12).  Workloads are kept tiny so
the whole file runs in well under a minute on two cores; nothing reaches
beyond 127.0.0.1.

Bencher Metric Format has no tool in Debian (it is written by `bencher` or
by hand), so it is covered by tests/data/formats and test_formats_files.py.
"""
import json
import os
import shutil
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import run_cli
from formats_util import by_key, close, close_all, key, post, stored

PY = "/usr/bin/python3"


def tool_env(tmp):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env.update({"HOME": tmp, "PYTHONDONTWRITEBYTECODE": "1"})
    return env


def have(*progs):
    return all(shutil.which(p) for p in progs)


# ---- pytest-benchmark ------------------------------------------------------

PYTEST_SUITE = '''
import pytest

def test_sum(benchmark):
    benchmark(sum, range(50))

@pytest.mark.parametrize("n", [10, 100])
def test_sorted(benchmark, n):
    benchmark(sorted, list(range(n, 0, -1)))

def test_once(benchmark):
    benchmark.pedantic(sum, args=(range(10),), rounds=1, iterations=1)
'''


def test_pytest_benchmark(server, tmpdir_path):
    with open(os.path.join(tmpdir_path, "test_tiny.py"), "w") as f:
        f.write(PYTEST_SUITE)
    out = os.path.join(tmpdir_path, "out.json")
    p = subprocess.run(
        [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--rootdir", tmpdir_path, "test_tiny.py",
         "--benchmark-min-time=0.0005", "--benchmark-max-time=0.05",
         f"--benchmark-json={out}"],
        cwd=tmpdir_path, env=tool_env(tmpdir_path), capture_output=True,
        text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    body = open(out, "rb").read()
    doc = json.loads(body)  # Python reads its own NaN; none here
    a = post(server, body, params={"branch": "main", "commit": "abc123"})
    run = stored(server, a)
    assert run["format"] == "pytest-benchmark"
    assert run["branch"] == "main" and run["commit"]["sha"] == "abc123"
    assert run["testbed"]["name"] == doc["machine_info"]["node"]
    assert run["testbed"]["info"]["arch"] == doc["machine_info"]["machine"]
    got = by_key(run)
    assert len(got) == 2 * len(doc["benchmarks"])
    for b in doc["benchmarks"]:
        st = b["stats"]
        family = b["name"].split("[")[0]
        lat = got[key(family, b["params"], "latency")]
        assert lat["unit"] == "s"
        close(lat["value"], st["median"], b["name"] + " value")
        close(lat["median"], st["median"], b["name"] + " median")
        close(lat["mean"], st["mean"], b["name"] + " mean")
        close(lat["min"], st["min"], b["name"] + " min")
        close(lat["max"], st["max"], b["name"] + " max")
        assert lat["n"] == st["rounds"]
        if st["rounds"] > 1:
            close(lat["stddev"], st["stddev"], b["name"] + " stddev")
        else:
            assert st["stddev"] == 0 and lat["stddev"] == 0
        close_all(lat["samples"], st["data"], b["name"] + " samples")
        thr = got[key(family, b["params"], "throughput")]
        assert thr["unit"] == "1/s" and thr["direction"] == "higher"
        close(thr["value"], st["ops"], b["name"] + " ops")
    assert got[key("test_sorted", {"n": 100}, "latency")]


# ---- Google Benchmark ------------------------------------------------------

GBENCH_SRC = r'''
#include <benchmark/benchmark.h>
#include <numeric>
#include <vector>

static void BM_Sum(benchmark::State& state) {
  std::vector<int> v(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0));
  state.SetComplexityN(state.range(0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.counters["hits"] = 3;
}
BENCHMARK(BM_Sum)->Arg(64)->Arg(512)->Complexity(benchmark::oN);

static void BM_Named(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(state.range(0));
}
BENCHMARK(BM_Named)->ArgNames({"len"})->Arg(8)->Unit(benchmark::kMicrosecond);

static void BM_Threads(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
}
BENCHMARK(BM_Threads)->Threads(2)->UseRealTime();

static void BM_Broken(benchmark::State& state) {
  for (auto _ : state) { state.SkipWithError("broken"); break; }
}
BENCHMARK(BM_Broken);
BENCHMARK_MAIN();
'''

GBENCH_KNOWN = {"name", "family_index", "per_family_instance_index",
                "run_name", "run_type", "repetitions", "repetition_index",
                "threads", "iterations", "real_time", "cpu_time",
                "time_unit", "aggregate_name", "aggregate_unit", "label"}
TO_S = {"ns": 1e9, "us": 1e6, "ms": 1e3, "s": 1}


def gbench_identity(run_name):
    """family and params as documented in docs/formats.md."""
    parts = run_name.split("/")
    params, pos = {}, 0
    for seg in parts[1:]:
        if seg.startswith("threads:"):
            params["threads"] = int(seg[8:])
        elif seg in ("real_time", "manual_time", "process_time") or \
                seg.split(":")[0] in ("min_time", "iterations", "repeats"):
            continue
        elif ":" in seg:
            k, v = seg.split(":", 1)
            params[k] = int(v)
        else:
            params[f"arg{pos}"] = int(seg)
            pos += 1
    return parts[0], params


@pytest.mark.skipif(not have("g++"), reason="g++ not installed")
def test_gbench(server, tmpdir_path):
    src = os.path.join(tmpdir_path, "b.cc")
    exe = os.path.join(tmpdir_path, "b")
    with open(src, "w") as f:
        f.write(GBENCH_SRC)
    subprocess.run(["g++", "-O1", "-std=c++17", src, "-o", exe,
                    "-lbenchmark", "-lpthread"], check=True, timeout=180)
    out = os.path.join(tmpdir_path, "out.json")
    subprocess.run([exe, "--benchmark_min_time=0.01",
                    "--benchmark_repetitions=2", f"--benchmark_out={out}",
                    "--benchmark_out_format=json"], check=True,
                   capture_output=True, timeout=120)
    body = open(out, "rb").read()
    doc = json.loads(body)
    a = post(server, body, params={"branch": "main", "commit": "c0ffee"})
    warnings = a.json()["warnings"]
    run = stored(server, a)
    assert run["format"] == "gbench"
    assert run["testbed"]["name"] == doc["context"]["host_name"]
    assert run["testbed"]["info"]["cores"] == doc["context"]["num_cpus"]
    assert any("BM_Broken" in w and "broken" in w for w in warnings)
    got = by_key(run)
    rows = {}
    for r in doc["benchmarks"]:
        if r.get("error_occurred"):
            continue
        rows.setdefault(r["run_name"], []).append(r)
    checked = 0
    for run_name, rs in rows.items():
        family, params = gbench_identity(run_name)
        big = [r for r in rs if r.get("aggregate_name") == "BigO"]
        if big:
            cx = dict(params, complexity=big[0]["big_o"])
            res = got[key(family, cx, "big_o_coefficient")]
            close(res["value"], big[0]["real_coefficient"] /
                  TO_S[big[0]["time_unit"]], "BigO")
            res = got[key(family, cx, "big_o_cpu_coefficient")]
            close(res["value"], big[0]["cpu_coefficient"] /
                  TO_S[big[0]["time_unit"]], "BigO cpu")
            rms = [r for r in rs if r.get("aggregate_name") == "RMS"][0]
            close(got[key(family, cx, "rms")]["value"], rms["rms"], "RMS")
            checked += 1
            continue
        its = [r for r in rs if r["run_type"] == "iteration"]
        aggs = {r["aggregate_name"]: r for r in rs
                if r["run_type"] == "aggregate"}
        for field in ("real_time", "cpu_time"):
            res = got[key(family, params, field)]
            assert res["unit"] == "s" and res["n"] == len(its)
            close_all(res["samples"],
                      [r[field] / TO_S[r["time_unit"]] for r in its],
                      f"{run_name} {field}")
            for agg in ("mean", "median", "stddev"):
                close(res[agg], aggs[agg][field] /
                      TO_S[aggs[agg]["time_unit"]], f"{run_name} {agg}")
            close(res["value"], res["median"], f"{run_name} value")
            checked += 1
        counters = set(its[0]) - GBENCH_KNOWN
        for cname in counters:
            res = got[key(family, params, cname)]
            close_all(res["samples"], [r[cname] for r in its], cname)
            close(res["mean"], aggs["mean"][cname], cname + " mean")
            if cname == "items_per_second":
                assert res["unit"] == "1/s"
            checked += 1
    assert checked >= 8
    assert got[key("BM_Threads", {"threads": 2}, "real_time")]
    assert got[key("BM_Named", {"len": 8}, "real_time")]


# ---- hyperfine -------------------------------------------------------------

@pytest.mark.skipif(not have("hyperfine"), reason="hyperfine not installed")
def test_hyperfine(server, tmpdir_path):
    out = os.path.join(tmpdir_path, "out.json")
    subprocess.run(["hyperfine", "-N", "--runs", "3", "--export-json", out,
                    "-L", "n", "1,2", "sleep 0.00{n}", "true"],
                   check=True, capture_output=True, timeout=120,
                   cwd=tmpdir_path)
    body = open(out, "rb").read()
    doc = json.loads(body)
    run = stored(server, post(server, body, params={"testbed": "laptop"}))
    assert run["format"] == "hyperfine" and run["testbed"]["name"] == "laptop"
    got = by_key(run)
    for r in doc["results"]:
        raw = r.get("parameters") or {}
        params = {k: int(v) for k, v in raw.items()}
        family = r["command"]  # the value put back as {name}
        for k, v in raw.items():
            family = family.replace(v, "{" + k + "}")
        wt = got[key(family, params, "wall_time")]
        close_all(wt["samples"], r["times"], r["command"] + " times")
        for stat in ("median", "mean", "min", "max"):
            close(wt[stat], r[stat], f"{r['command']} {stat}")
        close(wt["stddev"], r["stddev"], r["command"] + " stddev")
        close(wt["value"], r["median"], r["command"] + " value")
        assert wt["n"] == len(r["times"])
        for m in ("user", "system"):
            res = got[key(family, params, m)]
            assert res["unit"] == "s"
            if r[m] == 0:
                assert res["value"] == 0
            else:
                close(res["value"], r[m], f"{r['command']} {m}")
    assert run["metadata"]["commands"]["sleep 0.00{n}[n=2]"] == "sleep 0.002"


# ---- locust ----------------------------------------------------------------

LOCUSTFILE = '''
from locust import HttpUser, constant, task

class U(HttpUser):
    wait_time = constant(0.02)

    @task(3)
    def small(self):
        self.client.get("/small.txt")

    @task(1)
    def missing(self):
        self.client.get("/missing", name="/missing, \\"named\\"")
'''


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass


def locust_rows(path):
    import csv
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.skipif(not have("locust"), reason="locust not installed")
def test_locust(server, tmpdir_path):
    www = os.path.join(tmpdir_path, "www")
    os.mkdir(www)
    with open(os.path.join(www, "small.txt"), "w") as f:
        f.write("hello\n")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                partial(_Quiet, directory=www))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        with open(os.path.join(tmpdir_path, "locustfile.py"), "w") as f:
            f.write(LOCUSTFILE)
        prefix = os.path.join(tmpdir_path, "lr")
        p = subprocess.run(
            ["locust", "-f", "locustfile.py", "--headless", "-u", "2", "-r",
             "2", "-t", "3s", "--host",
             f"http://127.0.0.1:{httpd.server_address[1]}", "--csv", prefix,
             "--only-summary"],
            cwd=tmpdir_path, env=tool_env(tmpdir_path), capture_output=True,
            text=True, timeout=120)
        assert p.returncode in (0, 1), p.stderr  # 1: there were failures
    finally:
        httpd.shutdown()
    stats = open(prefix + "_stats.csv", "rb").read()
    rows = locust_rows(prefix + "_stats.csv")
    # One text/csv body ...
    run = stored(server, post(server, stats, content_type="text/csv"))
    assert run["format"] == "locust"
    got = by_key(run)
    checked = 0
    for row in rows:
        agg = row["Type"] == "" and row["Name"] == "Aggregated"
        params = {} if agg else {"method": row["Type"]}
        reqs, fails = int(row["Request Count"]), int(row["Failure Count"])
        if reqs == 0:
            continue
        lat = got[key(row["Name"], params, "latency")]
        close(lat["mean"], float(row["Average Response Time"]) / 1000,
              row["Name"] + " mean")
        close(lat["value"], lat["mean"], row["Name"] + " value")
        close(lat["median"], float(row["Median Response Time"]) / 1000,
              row["Name"] + " median")
        close(lat["min"], float(row["Min Response Time"]) / 1000, "min")
        close(lat["max"], float(row["Max Response Time"]) / 1000, "max")
        # one value per run (n = 1); the count is kept beside it
        assert lat["n"] == 1
        assert run["metadata"]["locust_requests"][lat["key"]] == \
            {"requests": reqs, "failures": fails}
        for pct in ("50%", "90%", "99%", "100%"):
            res = got[key(row["Name"], params, "latency_p" + pct[:-1])]
            close(res["value"], float(row[pct]) / 1000, row["Name"] + pct)
        close(got[key(row["Name"], params, "throughput")]["value"],
              float(row["Requests/s"]), row["Name"] + " rps")
        fr = got[key(row["Name"], params, "failure_rate")]
        assert fr["unit"] == "%"
        if fails == 0:
            assert fr["value"] == 0
        else:
            close(fr["value"], 100.0 * fails / reqs, "failure rate")
        checked += 1
    assert checked >= 2
    assert got[key("/missing, \"named\"", {"method": "GET"}, "latency")]
    # ... and the CLI with the --csv prefix: stats and history as one
    # multipart body; the same results.
    p = run_cli("push", "--json", "--server", server.url, "--project",
                "fmt", "--format", "locust", prefix,
                env={"BENCHVAULT_TOKEN": server.write_token})
    run2_id = json.loads(p.stdout)["run_id"]
    run2 = server.get(f"/api/v1/projects/fmt/runs/{run2_id}").json()
    assert by_key(run2).keys() == got.keys()
    for k, res in by_key(run2).items():
        assert res["value"] == got[k]["value"], k
    assert "locust_history" in run2["metadata"]


# ---- go test -bench --------------------------------------------------------

GO_TEST = '''package tiny

import (
	"sort"
	"testing"
)

func BenchmarkSort(b *testing.B) {
	for _, n := range []int{10, 100} {
		n := n
		b.Run(map[int]string{10: "n=10", 100: "n=100"}[n], func(b *testing.B) {
			d := make([]int, n)
			for i := 0; i < b.N; i++ {
				for k := range d {
					d[k] = n - k
				}
				sort.Ints(d)
			}
		})
	}
}

func BenchmarkCopy(b *testing.B) {
	src, dst := make([]byte, 1024), make([]byte, 1024)
	b.SetBytes(1024)
	for i := 0; i < b.N; i++ {
		copy(dst, src)
	}
	b.ReportMetric(2, "hits/op")
}
'''

GO_UNITS = {"ns/op": ("latency", 1e9), "B/op": ("bytes_per_op", 1),
            "allocs/op": ("allocs_per_op", 1),
            "MB/s": ("bytes_per_second", 1e-6),
            "hits/op": ("hits_per_op", 1)}


def go_lines(text):
    """{(family, params): {unit: [values]}} from go test's text."""
    out = {}
    for line in text.splitlines():
        tok = line.split()
        if len(tok) < 4 or not tok[0].startswith("Benchmark") or \
                not tok[1].isdigit():
            continue
        name = tok[0].rsplit("-", 1)[0] if tok[0].rsplit("-", 1)[-1] \
            .isdigit() else tok[0]
        family, *subs = name.split("/")
        params = {s.split("=")[0]: int(s.split("=")[1]) for s in subs}
        d = out.setdefault((family, json.dumps(params, sort_keys=True)), {})
        for v, u in zip(tok[2::2], tok[3::2]):
            d.setdefault(u, []).append(float(v))
    return out


@pytest.mark.skipif(not have("go"), reason="golang-go not installed")
def test_gotest(server, tmpdir_path):
    mod = os.path.join(tmpdir_path, "tiny")
    os.mkdir(mod)
    with open(os.path.join(mod, "go.mod"), "w") as f:
        f.write("module example.com/tiny\n\ngo 1.19\n")
    with open(os.path.join(mod, "tiny_test.go"), "w") as f:
        f.write(GO_TEST)
    env = tool_env(tmpdir_path)
    env.update({"GOFLAGS": "-mod=mod", "GOPROXY": "off",
                "GOCACHE": os.path.join(tmpdir_path, "gocache"),
                "GOPATH": os.path.join(tmpdir_path, "gopath"),
                "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"})
    p = subprocess.run(["go", "test", "-run", "^$", "-bench", ".",
                        "-benchmem", "-benchtime=100x", "-count=2"],
                       cwd=mod, env=env, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    text = p.stdout
    run = stored(server, post(server, text.encode(),
                              content_type="text/plain"))
    assert run["format"] == "gotest"
    assert run["metadata"]["pkg"] == "example.com/tiny"
    got = by_key(run)
    want = go_lines(text)
    assert len(want) == 3
    n = 0
    for (family, params), units in want.items():
        for unit, values in units.items():
            measure, div = GO_UNITS[unit]
            res = got[(family, params, measure)]
            close_all(res["samples"], [v / div for v in values],
                      f"{family}{params} {unit}")
            assert res["n"] == 2
            n += 1
    assert n >= 9
    # go test -json wraps the same lines in events: the same stored values
    p = subprocess.run(["go", "test", "-json", "-run", "^$", "-bench",
                        "Sort", "-benchtime=100x"], cwd=mod, env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    text = "".join(json.loads(l).get("Output", "")
                   for l in p.stdout.splitlines() if l.strip())
    run = stored(server, post(server, p.stdout.encode(),
                              content_type="text/plain"))
    got = by_key(run)
    for (family, params), units in go_lines(text).items():
        close_all(got[(family, params, "latency")]["samples"],
                  [v / 1e9 for v in units["ns/op"]], family)
