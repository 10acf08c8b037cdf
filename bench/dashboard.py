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
tok = subprocess.run([BIN, "token", "create", "--db", db], capture_output=True, text=True).stdout.split()[0]
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
p.terminate()
p.wait()
shutil.rmtree(d)
