#!/usr/bin/python3
"""Makes one real pytest-benchmark history and its heads (issue 11).

Run by Debian's /usr/bin/python3 (python3-pytest-benchmark).  Every run is
the real suite test_bench.py (a copy of shared/fixtures/pytest-benchmark),
timed on this machine, inside a throwaway git repository so that
commit_info is real: one empty commit before each run, so each run has its
own sha and a commit time later than the one before.

    make_histories.py NAME [--hog N] [--wild-tip M] [--out DIR]

makes, in this order (each line one suite run):
    NAME-h1 .. NAME-h6   six runs of identical code on branch main
    NAME-same1, NAME-slow20-1, NAME-slow10-1,
    NAME-same2, NAME-slow20-2, NAME-slow10-2
                         heads on branch pr-NAME: identical code, then
                         BENCH_SLOWDOWN=1.2 and BENCH_SLOWDOWN=1.1
--hog N        N busy-looping python processes run during all twelve runs
               (a busy machine)
--wild-tip M   the sixth history run alone is made with M more busy loops
               beside it (heavy contention: an honest wild run at the tip)

The JSON files are written unedited to DIR (default: this folder) and one
entry per run is appended to DIR/manifest.json: file, role, branch, commit
sha and time, BENCH_SLOWDOWN, the number of hog processes, the 1-minute
load average before and after the run, and the run's wall time.
"""
import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUITE = os.path.join(HERE, "test_bench.py")
PY = "/usr/bin/python3"


def hog_loop():
    while True:
        pass


def start_hogs(n):
    procs = [multiprocessing.Process(target=hog_loop, daemon=True)
             for _ in range(n)]
    for p in procs:
        p.start()
    return procs


def stop_hogs(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        p.join()


def git(repo, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME="bench",
               GIT_AUTHOR_EMAIL="bench@example.invalid",
               GIT_COMMITTER_NAME="bench",
               GIT_COMMITTER_EMAIL="bench@example.invalid")
    return subprocess.run(["git", "-C", repo, *args], check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def one_run(repo, out, slowdown):
    env = dict(os.environ)
    env.pop("BENCH_SLOWDOWN", None)
    if slowdown != 1.0:
        env["BENCH_SLOWDOWN"] = str(slowdown)
    cmd = [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bench.py",
           "--benchmark-min-time=0.0005", "--benchmark-max-time=0.5",
           f"--benchmark-json={out}"]
    subprocess.run(cmd, cwd=repo, env=env, check=True, capture_output=True,
                   timeout=600)
    shown = cmd[:-1] + [f"--benchmark-json={os.path.basename(out)}"]
    return " ".join(shown)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("--hog", type=int, default=0)
    ap.add_argument("--wild-tip", type=int, default=0)
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()

    manifest_path = os.path.join(a.out, "manifest.json")
    manifest = []
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)

    plan = [(f"{a.name}-h{i}", "main", 1.0, "history") for i in range(1, 7)]
    for k in (1, 2):
        plan += [(f"{a.name}-same{k}", f"pr-{a.name}", 1.0, "same"),
                 (f"{a.name}-slow20-{k}", f"pr-{a.name}", 1.2, "slow20"),
                 (f"{a.name}-slow10-{k}", f"pr-{a.name}", 1.1, "slow10")]

    with tempfile.TemporaryDirectory(prefix="bv-hist-") as repo:
        git(repo, "init", "-q", "-b", "main")
        shutil.copy(SUITE, repo)
        git(repo, "add", "test_bench.py")
        git(repo, "commit", "-q", "-m", "the benchmark suite")
        hogs = start_hogs(a.hog)
        try:
            for idx, (stem, branch, slowdown, role) in enumerate(plan):
                if branch != "main" and git(repo, "branch",
                                            "--show-current") != branch:
                    git(repo, "checkout", "-q", "-b", branch)
                time.sleep(1.1)  # a commit time of its own (1 s resolution)
                git(repo, "commit", "-q", "--allow-empty", "-m",
                    f"{stem}: {role}, BENCH_SLOWDOWN={slowdown}")
                extra = []
                if a.wild_tip and stem == f"{a.name}-h6":
                    extra = start_hogs(a.wild_tip)
                    time.sleep(2)
                out = os.path.join(a.out, stem + ".json")
                load0 = os.getloadavg()[0]
                t0 = time.monotonic()
                try:
                    cmd = one_run(repo, out, slowdown)
                finally:
                    stop_hogs(extra)
                wall = time.monotonic() - t0
                load1 = os.getloadavg()[0]
                with open(out) as f:
                    ci = json.load(f)["commit_info"]
                entry = {
                    "file": stem + ".json", "history": a.name, "role": role,
                    "order": idx + 1, "branch": branch,
                    "commit": ci["id"], "commit_time": ci["time"],
                    "bench_slowdown": slowdown,
                    "hog_processes": a.hog + len(extra),
                    "load1_before": round(load0, 2),
                    "load1_after": round(load1, 2),
                    "wall_s": round(wall, 1), "command": cmd,
                }
                manifest = [m for m in manifest if m["file"] != entry["file"]]
                manifest.append(entry)
                with open(manifest_path, "w") as f:
                    json.dump(manifest, f, indent=1)
                    f.write("\n")
                print(json.dumps(entry), flush=True)
        finally:
            stop_hogs(hogs)


if __name__ == "__main__":
    main()
