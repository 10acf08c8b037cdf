"""Costs at scale (issue 15): a generated 2,000 benchmarks x 1,000 runs project.

Generates the project through the real server (posting runs over HTTP, the
way CI does; about 2 M results, a few hundred MB; never stored in git),
keeps the generated database in a cache file so that a second binary (the
old code, for a before/after in the same minutes) is measured on a copy of
the same data, then measures issue 15's table:

  ingest   server CPU of one 2,000-result run with 1,000 runs of history,
           against the same on an empty database (median of POSTS posts;
           CPU is the sum of the server's threads' run time from
           /proc/PID/task/*/schedstat, nanoseconds)
  dashboard         GET /p/scale (all series), median
  run page          GET /p/scale/runs/ID (2,000 rows), median
  compare JSON      GET /api/v1/.../compare?head=ID (2,000 rows against the
                    branch's history, base's default),
                    median; bytes as sent plain and with Accept-Encoding: gzip
  sparklines        1,000 sparkline.png of the dashboard over 6 connections:
                    a first view, then a browser's revalidation
                    (If-None-Match)

usage: /usr/bin/python3 bench/scale.py BENCHVAULT_BIN [--cache DB] [--json OUT]
           [--benchmarks 2000] [--runs 1000] [--posts 5] [--label NAME]
The cache DB is made when missing (by BENCHVAULT_BIN) and only copied after.
"""
import argparse
import concurrent.futures as cf
import glob
import html
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

ap = argparse.ArgumentParser()
ap.add_argument("bin")
ap.add_argument("--cache")
ap.add_argument("--json")
ap.add_argument("--benchmarks", type=int, default=2000)
ap.add_argument("--runs", type=int, default=1000)
ap.add_argument("--posts", type=int, default=5)
ap.add_argument("--label", default="")
args = ap.parse_args()
NB, NR = args.benchmarks, args.runs
PROJECT = "scale"
tmp = tempfile.mkdtemp(prefix="bv-scale.")


def token(db):
    p = subprocess.run([args.bin, "token", "create", "--db", db, "--create",
                        "--scope", "write", "--name", "bench"],
                       capture_output=True, text=True, check=True)
    return p.stdout.split()[0]


class Server:
    def __init__(self, db):
        self.p = subprocess.Popen([args.bin, "serve", "--db", db, "--listen",
                                   "127.0.0.1:0", "--quiet"],
                                  stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if not m:
            self.p.kill()
            sys.exit(f"scale: the server did not start: {line!r}")
        self.url = m.group(1)

    def cpu_ns(self):
        total = 0
        for f in glob.glob(f"/proc/{self.p.pid}/task/*/schedstat"):
            try:
                with open(f) as fh:
                    total += int(fh.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=120)


def run_body(r, nb, seed=0):
    """Run r of the project: one latency per benchmark.  Values are 2%
    noise around a per-benchmark level; one benchmark in 50 steps up 15%
    at 60% of the history (so there are change points and alerts)."""
    rnd = random.Random(r * 7919 + seed)
    res = []
    for b in range(nb):
        v = 1.0 + (b % 50) * 0.2
        if b % 50 == 7 and r >= int(NR * 0.6):
            v *= 1.15
        v *= 1 + rnd.gauss(0, 0.02)
        res.append({"benchmark": f"bench_{b:04d}",
                    "measures": {"latency": {"unit": "ms",
                                             "value": round(v, 6)}}})
    day, sec = divmod(r, 86400 // 600)
    return json.dumps({
        "project": PROJECT, "branch": "main",
        "commit": {"sha": f"{r:08x}", "time":
                   time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                 time.gmtime(1700000000 + r * 600))},
        "testbed": {"name": "ci-linux"}, "results": res})


def post(s, url, tok, body):
    x = s.post(url + f"/api/v1/projects/{PROJECT}/runs", data=body,
               headers={"Authorization": "Bearer " + tok,
                        "Content-Type": "application/json"})
    if x.status_code != 201:
        sys.exit(f"scale: ingest answered {x.status_code}: {x.text[:300]}")
    return x.json()


def generate(db):
    tok = token(db)
    srv = Server(db)
    t0 = time.monotonic()
    local = threading.local()
    nxt = iter(range(NR))
    lock = threading.Lock()

    def worker():
        local.s = requests.Session()
        while True:
            with lock:
                r = next(nxt, None)
            if r is None:
                return
            post(local.s, srv.url, tok, run_body(r, NB))
    # Runs in order per thread; a few threads keep the writer busy.  Commit
    # order is by commit time, so posting order does not matter.
    with cf.ThreadPoolExecutor(3) as ex:
        for f in [ex.submit(worker) for _ in range(3)]:
            f.result()
    srv.stop()
    print(f"scale: generated {NB} x {NR} in {time.monotonic() - t0:.0f} s, "
          f"{os.path.getsize(db) / 1e6:.0f} MB", file=sys.stderr)


def ingest_cpu(db, first_run, n):
    """Server CPU (ms) and wall (ms) of n posts, each one 2,000-result run."""
    tok = token(db)
    srv = Server(db)
    s = requests.Session()
    cpu, wall = [], []
    bodies = [run_body(first_run + i, NB, seed=1) for i in range(n)]
    for b in bodies:
        time.sleep(0.3)  # let the previous run's examination finish
        c0, t0 = srv.cpu_ns(), time.monotonic()
        post(s, srv.url, tok, b)
        time.sleep(0.3)  # work after the answer (examination) counts too
        cpu.append((srv.cpu_ns() - c0) / 1e6)
        wall.append((time.monotonic() - t0 - 0.3) * 1000)
    srv.stop()
    return statistics.median(cpu), statistics.median(wall), cpu


def timed(s, url, n=5, headers=None, stream=False):
    out = []
    r = None
    for _ in range(n):
        t0 = time.monotonic()
        r = s.get(url, headers=headers or {}, stream=stream)
        body = r.raw.read() if stream else r.content
        out.append((time.monotonic() - t0) * 1000)
        if r.status_code != 200:
            sys.exit(f"scale: {url} answered {r.status_code}")
    timed.first = out[0]  # a first view: nothing kept yet
    return statistics.median(out), r, body


report = {"label": args.label, "benchmarks": NB, "runs": NR}
cache = args.cache or os.path.join(tmp, "cache.db")
if not os.path.exists(cache):
    os.makedirs(os.path.dirname(os.path.abspath(cache)), exist_ok=True)
    generate(cache + ".part")
    os.rename(cache + ".part", cache)
db = os.path.join(tmp, "scale.db")
shutil.copy(cache, db)

# 1. ingest, with history and on an empty database
t0 = time.monotonic()
srv = Server(db)  # opening migrates an old cache: not part of the figures
report["open_ms"] = (time.monotonic() - t0) * 1000
srv.stop()
hist_cpu, hist_wall, hist_all = ingest_cpu(db, NR, args.posts)
empty = os.path.join(tmp, "empty.db")
empty_cpu, empty_wall, empty_all = ingest_cpu(empty, 0, args.posts)
report["ingest"] = {"history_cpu_ms": hist_cpu, "history_wall_ms": hist_wall,
                    "empty_cpu_ms": empty_cpu, "empty_wall_ms": empty_wall,
                    "ratio": hist_cpu / empty_cpu,
                    "history_cpu_all": hist_all, "empty_cpu_all": empty_all}
print(f"scale: ingest of one {NB}-result run, server CPU: {hist_cpu:.0f} ms "
      f"with {NR} runs of history vs {empty_cpu:.0f} ms on an empty database "
      f"({hist_cpu / empty_cpu:.2f}x; wall {hist_wall:.0f} vs "
      f"{empty_wall:.0f} ms)  [target within 1.5x]")

srv = Server(db)
s = requests.Session()
base = srv.url
runs = s.get(base + f"/api/v1/projects/{PROJECT}/runs?limit=2").json()["runs"]
head_id, base_id = runs[0]["id"], runs[1]["id"]

# 2. dashboard
ms, r, body = timed(s, base + f"/p/{PROJECT}")
sparks = re.findall(r'src="([^"]*sparkline\.png[^"]*)"', r.text)
report["dashboard"] = {"ms": ms, "first_ms": timed.first, "bytes": len(body),
                       "rows": r.text.count("<tr") - 1, "sparklines":
                       len(sparks)}
print(f"scale: dashboard: median {ms:.0f} ms (first view "
      f"{timed.first:.0f} ms), {len(body)} bytes, "
      f"{report['dashboard']['rows']} rows, {len(sparks)} sparklines  "
      f"[target < 100 ms, all {NB} series]")

# 3. run page
ms, r, body = timed(s, base + f"/p/{PROJECT}/runs/{head_id}")
report["run_page"] = {"ms": ms, "first_ms": timed.first, "bytes": len(body),
                      "rows": r.text.count("<tr")}
print(f"scale: run page: median {ms:.0f} ms (first view {timed.first:.0f} "
      f"ms), {len(body)} bytes, "
      f"{report['run_page']['rows']} table rows  [target < 50 ms]")

# 4. compare JSON, plain and as gzip on the wire
# the newest run against its branch's history (base's default, as the
# run page compares it): one row per series
cmp_url = base + f"/api/v1/projects/{PROJECT}/compare?head={head_id}"
ms, r, body = timed(s, cmp_url, headers={"Accept-Encoding": "identity"},
                    stream=True)
cmp_first = timed.first
cj = json.loads(body)
nrows = len(cj["rows"]) + len(cj["not_compared"]) + len(cj["derived"])
gz_ms, rg, gz_body = timed(s, cmp_url, headers={"Accept-Encoding": "gzip"},
                           stream=True)
sent_gzip = rg.headers.get("Content-Encoding") == "gzip"
report["compare"] = {"ms": ms, "first_ms": cmp_first, "gzip_ms": gz_ms,
                     "rows": nrows,
                     "bytes": len(body), "gzip_bytes_sent": len(gz_body),
                     "server_gzips": sent_gzip,
                     "gzip_bytes_possible": len(gzip.compress(body, 6))}
print(f"scale: compare JSON ({nrows} rows): median {ms:.0f} ms plain "
      f"(first view {cmp_first:.0f} ms), "
      f"{gz_ms:.0f} ms asking gzip; {len(body)} bytes plain, "
      f"{len(gz_body)} bytes sent when asked for gzip "
      f"({'gzip' if sent_gzip else 'not compressed'}; gzip -6 would be "
      f"{report['compare']['gzip_bytes_possible']})  [target < 100 ms]")

# 5. sparklines: the dashboard's first 1,000 (its first pages) over 6
# connections
page = 2
while len(sparks) < 1000 and page <= 10:
    x = s.get(base + f"/p/{PROJECT}?page={page}")
    more = re.findall(r'src="([^"]*sparkline\.png[^"]*)"', x.text)
    if not more:
        break
    sparks += more
    page += 1
urls = [base + html.unescape(u) for u in sparks[:1000]]
if len(urls) < 1000:  # a dashboard that lists fewer: name them
    urls = [base + f"/p/{PROJECT}/charts/sparkline.png?benchmark="
            f"bench_{b:04d}&measure=latency" for b in range(1000)]


def fetch_all(etags=None):
    lock = threading.Lock()
    it = iter(range(len(urls)))
    got = {}

    def worker():
        sess = requests.Session()
        while True:
            with lock:
                i = next(it, None)
            if i is None:
                return
            h = {"If-None-Match": etags[i]} if etags and etags.get(i) else {}
            x = sess.get(urls[i], headers=h)
            if x.status_code not in (200, 304):
                raise RuntimeError(f"{urls[i]}: {x.status_code}")
            with lock:
                got[i] = (x.status_code, x.headers.get("ETag"))
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(6) as ex:
        for f in [ex.submit(worker) for _ in range(6)]:
            f.result()
    return (time.monotonic() - t0) * 1000, got


cold, got = fetch_all()
etags = {i: v[1] for i, v in got.items()}
warm, got2 = fetch_all(etags)
n304 = sum(1 for v in got2.values() if v[0] == 304)
report["sparklines"] = {"count": len(urls), "first_ms": cold,
                        "revalidate_ms": warm, "revalidate_304": n304}
print(f"scale: {len(urls)} sparklines over 6 connections: first view "
      f"{cold:.0f} ms, revalidation {warm:.0f} ms ({n304} answered 304)  "
      f"[target < 1 s]")
srv.stop()
if args.json:
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1)
shutil.rmtree(tmp)
