"""Dashboard speed (issue 6: under 200 ms for 500 benchmarks x 100 runs).

Starts the real server on a temporary database, posts 100 runs of 500
benchmarks through the API, then times GET /p/big (the HTML dashboard, one
series per benchmark, sparkline links) over 7 requests and prints the median.
usage: /usr/bin/python3 bench/dashboard.py BUILD/benchvault
"""
import json, os, re, shutil, subprocess, sys, tempfile, time, statistics
import requests
BIN = sys.argv[1]
d = tempfile.mkdtemp()
db = os.path.join(d, "dash.db")
tok = subprocess.run([BIN, "token", "create", "--db", db, "--create"], capture_output=True, text=True).stdout.split()[0]
p = subprocess.Popen([BIN, "serve", "--db", db, "--listen", "127.0.0.1:0", "--quiet"], stdout=subprocess.PIPE, text=True)
url = re.search(r"(http://\S+)", p.stdout.readline()).group(1)
s = requests.Session()
for r in range(100):
    body = {"project": "big", "branch": "main", "commit": {"sha": f"c{r:04d}", "time": f"2026-{1+r//28:02d}-{1+r%28:02d}T00:00:00Z"},
            "results": [{"benchmark": f"bench_{b:03d}", "measures": {"latency": {"unit": "ms", "value": 10 + (b % 7) + 0.01 * (r % 5)}}} for b in range(500)]}
    x = s.post(url + "/api/v1/projects/big/runs", data=json.dumps(body), headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    assert x.status_code == 201, x.text
ts = []
for i in range(7):
    t0 = time.monotonic(); x = s.get(url + "/p/big"); ts.append((time.monotonic() - t0) * 1000)
    assert x.status_code == 200
print(f"bench_dashboard: dashboard /p/big (500 benchmarks x 100 runs): median {statistics.median(ts):.1f} ms, min {min(ts):.1f} ms, {len(x.content)} bytes, rows={x.text.count('<tr')}  [target < 200 ms]")


def timed(path, n=7, headers=None, status=200):
    out = []
    for _ in range(n):
        t0 = time.monotonic(); r = s.get(url + path, headers=headers or {}); out.append((time.monotonic() - t0) * 1000)
        assert r.status_code == status, (path, r.status_code)
    return statistics.median(out), r

# Charts are cached by content: the first view draws, a repeat is served
# from the server's LRU cache, a browser's revalidation is a 304.
chart = "/p/big/charts/trend.png?benchmark=bench_007&measure=latency&width=900&height=400"
t0 = time.monotonic(); first = s.get(url + chart); cold = (time.monotonic() - t0) * 1000
assert first.status_code == 200
warm, _ = timed(chart)
revalidate, _ = timed(chart, headers={"If-None-Match": first.headers["ETag"]}, status=304)
print(f"bench_dashboard: trend.png of 100 points: first view {cold:.1f} ms, repeat (server cache) median {warm:.2f} ms, revalidation 304 median {revalidate:.2f} ms")
runs = s.get(url + "/api/v1/projects/big/runs?limit=1").json()["runs"]
run_ms, _ = timed(f"/p/big/runs/{runs[0]['id']}")
bench_ms, _ = timed("/p/big/benchmarks/1")
print(f"bench_dashboard: run page with its comparison against the previous run (500 rows): median {run_ms:.1f} ms; benchmark page (trend, change points, noise, 100 runs): median {bench_ms:.1f} ms")
p.terminate()
p.wait()
shutil.rmtree(d)
