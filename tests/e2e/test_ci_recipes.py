"""docs/ci.md's two CI recipes, run as written (issue 12 item 12).

The YAML blocks are read out of docs/ci.md itself, so the test runs what a
reader copies.  Each recipe's job is played the way its runner plays it:

- GitHub Actions: every `run:` step under `bash --noprofile --norc -eo
  pipefail` with the job's and the step's `env:` (their `${{ ... }}`
  expressions resolved from a table of the contexts GitHub gives; an
  expression the table does not know fails the test) and the variables a
  runner sets (GITHUB_SHA, GITHUB_EVENT_PATH, ...).  `if:` is honoured
  (`always()`, or the default: only while the job has not failed).
  actions/cache (restore, and save in its post step when the job
  succeeded), actions/cache/restore and actions/cache/save are emulated (a
  folder per key, restore-keys by prefix); actions/checkout is the workspace the test
  prepares; the installation step is the one step not run (the build under
  test is on PATH instead).
- GitLab CI: the job's `variables:` expanded as the runner does, the
  `script:` lines in one bash with `set -eo pipefail`, the `cache:` restored
  before and saved after (`when:` honoured).

Against the real server on 127.0.0.1, in a real git repository with a base
branch, a pull request's branch and the CI's merge commit: a push to the
base branch, a pull request (its head commit stored, not the merge; the
comment posted to a local stand-in of GitHub's REST API through
GITHUB_API_URL, recording every request), a pull request from a fork (no
token: the job passes, nothing is uploaded, the run document is kept), and
the server down (the job passes, the spool is kept by the cache and
delivered by the next job).

STAND-IN NOTICE: GitHub's API is a local recorder (http.server), as in
test_agent.py; everything else is real.
"""
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import threading

import pytest
import yaml

from conftest import BIN

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "ci.md")
BENCHMARKS = os.path.join(HERE, "..", "data", "agent", "ci", "benchmarks")
OWNER_REPO = "acme/alpha-q"
PR = 42


def recipes():
    with open(DOC) as fh:
        blocks = [yaml.safe_load(b) for b in
                  re.findall(r"```yaml\n(.*?)```", fh.read(), re.S)]
    gh = [b for b in blocks if isinstance(b, dict) and "jobs" in b]
    gl = [b for b in blocks if isinstance(b, dict) and any(
        isinstance(v, dict) and "script" in v for v in b.values())]
    assert len(gh) == 1 and len(gl) == 1, "one recipe of each in docs/ci.md"
    job = next(iter(gh[0]["jobs"].values()))
    return job, next(v for v in gl[0].values()
                     if isinstance(v, dict) and "script" in v)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class GitHubAPI:
    """STAND-IN for GitHub's REST API: the comment list is empty, a POST
    creates comment 901 (403 when the token is read-only, as a fork's is);
    every request is recorded."""

    def __init__(self):
        self.requests = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def answer(self, method):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                outer.requests.append((method, self.path,
                                       self.headers.get("Authorization"),
                                       body))
                if self.headers.get("Authorization") == "Bearer ghs_readonly" \
                        and method != "GET":
                    status, doc = 403, {"message": "Resource not accessible "
                                        "by integration"}
                elif method == "GET":
                    status, doc = 200, []
                else:
                    status, doc = 201, {"id": 901}
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self.answer("GET")

            def do_POST(self):
                self.answer("POST")

            def do_PATCH(self):
                self.answer("PATCH")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# ---- the repository ------------------------------------------------------------

class Repo:
    """origin (bare) with main and feature, and refs/pull/42/merge: the
    merge of feature into main that a pull request's job checks out."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.env = {"HOME": tmp, "GIT_CONFIG_NOSYSTEM": "1",
                    "GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": "a@x",
                    "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": "a@x",
                    "PATH": "/usr/bin:/bin"}
        self.origin = os.path.join(tmp, "origin.git")
        self.git(tmp, "init", "-q", "--bare", "-b", "main", self.origin)
        seed = os.path.join(tmp, "seed")
        self.git(tmp, "clone", "-q", self.origin, seed)
        shutil.copytree(BENCHMARKS, os.path.join(seed, "benchmarks"))
        self.git(seed, "add", ".")
        self.git(seed, "commit", "-q", "-m", "benchmarks")
        self.main = self.git(seed, "rev-parse", "HEAD")
        self.git(seed, "push", "-q", "origin", "HEAD:main")
        self.git(seed, "checkout", "-q", "-b", "feature")
        with open(os.path.join(seed, "NOTES"), "w") as fh:
            fh.write("a change on the branch\n")
        self.git(seed, "add", ".")
        self.git(seed, "commit", "-q", "-m", "the pull request's change")
        self.head = self.git(seed, "rev-parse", "HEAD")
        self.git(seed, "push", "-q", "origin", "feature")
        self.git(seed, "checkout", "-q", "--detach", self.main)
        self.git(seed, "merge", "-q", "--no-ff", "--no-edit", "feature")
        self.merge = self.git(seed, "rev-parse", "HEAD")
        self.git(seed, "push", "-q", "origin", f"HEAD:refs/pull/{PR}/merge")

    def git(self, cwd, *args):
        return subprocess.run(["git", *args], cwd=cwd, env=self.env,
                              check=True, capture_output=True,
                              text=True).stdout.strip()

    def checkout(self, name, ref):
        """A workspace as actions/checkout (fetch-depth: 0) leaves it."""
        ws = os.path.join(self.tmp, name)
        self.git(self.tmp, "clone", "-q", self.origin, ws)
        self.git(ws, "fetch", "-q", "origin", f"refs/pull/{PR}/merge")
        self.git(ws, "checkout", "-q", "--detach", ref)
        return ws


# ---- playing a job ----------------------------------------------------------------

def base_env(tmp, extra):
    """What every job sees: Debian's python3 and the build under test on
    PATH, nothing of the host's CI."""
    bindir = os.path.join(tmp, "bin")
    if not os.path.isdir(bindir):
        os.mkdir(bindir)
        os.symlink(os.path.abspath(BIN), os.path.join(bindir, "benchvault"))
    e = {"PATH": f"{bindir}:/usr/bin:/bin", "HOME": os.path.join(tmp, "home"),
         "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
         "BENCHVAULT_NVML_LIB": "/nonexistent/libnvidia-ml.so.1", "CI": "true"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
        if k in os.environ:
            e[k] = os.environ[k]
    os.makedirs(e["HOME"], exist_ok=True)
    e.update(extra)
    return e


EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def resolve(value, ctx):
    def one(m):
        assert m.group(1) in ctx, f"the recipe uses ${{{{ {m.group(1)} }}}}" \
            ", which this test does not know"
        return ctx[m.group(1)]
    return EXPR.sub(one, str(value))


def condition(step, failed):
    cond = step.get("if")
    if cond is None:
        return not failed
    assert cond in ("always()",), f"unknown if: {cond}"
    return True


def cache_dir(store, key):
    return os.path.join(store, re.sub(r"[^A-Za-z0-9._-]", "_", key))


def github_job(job, ws, env, ctx, store):
    """Plays the job's steps in ws; returns (failed, log)."""
    env = dict(env)
    env.update({k: resolve(v, ctx) for k, v in (job.get("env") or {}).items()})
    failed, log, post = False, [], []
    for i, step in enumerate(job["steps"]):
        uses, name = step.get("uses", ""), step.get("name", "")
        if not condition(step, failed):
            continue
        w = {k: resolve(v, ctx) for k, v in (step.get("with") or {}).items()}
        path = None
        if "path" in w:  # one path: ~ is the runner's home
            path = w["path"].strip()
            path = env["HOME"] + path[1:] if path.startswith("~") else \
                os.path.join(ws, path)
        if uses.startswith("actions/checkout"):
            continue  # the workspace is the checkout
        if uses.startswith("actions/cache@"):
            # restore now, save in the post step: only when the job
            # succeeded (the action's default)
            post.append((path, w["key"]))
        if uses.startswith(("actions/cache/restore", "actions/cache@")):
            keys = [w["key"]] + [k for k in str(w.get("restore-keys", ""))
                                 .split("\n") if k]
            for k in keys:
                hits = sorted((d for d in os.listdir(store)
                               if d.startswith(cache_dir("", k))),
                              key=lambda d: os.path.getmtime(
                                  os.path.join(store, d)))
                if hits:
                    shutil.copytree(os.path.join(store, hits[-1]), path,
                                    dirs_exist_ok=True)
                    break
            continue
        if uses.startswith("actions/cache/save"):
            if os.path.isdir(path):
                shutil.copytree(path, cache_dir(store, w["key"]),
                                dirs_exist_ok=True)
            continue
        if uses.startswith("actions/upload-artifact"):
            continue
        assert not uses, f"a step the test cannot play: {uses}"
        if name.startswith("Install"):
            continue  # replaced by the build under test
        senv = dict(env)
        senv.update({k: resolve(v, ctx)
                     for k, v in (step.get("env") or {}).items()})
        script = os.path.join(env["RUNNER_TEMP"], f"step{i}.sh")
        with open(script, "w") as fh:
            fh.write(step["run"])
        p = subprocess.run(["bash", "--noprofile", "--norc", "-eo",
                            "pipefail", script], cwd=ws, env=senv,
                           capture_output=True, text=True, timeout=600)
        log.append(p)
        failed = failed or p.returncode != 0
    for path, key in post:
        if not failed and os.path.isdir(path):
            shutil.copytree(path, cache_dir(store, key), dirs_exist_ok=True)
    return failed, log


def github_env(tmp, ws, repo, api, event, **kw):
    runner_temp = os.path.join(tmp, "runner_temp")
    os.makedirs(runner_temp, exist_ok=True)
    path = os.path.join(runner_temp, "event.json")
    with open(path, "w") as fh:
        json.dump(event, fh)
    e = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": path,
         "GITHUB_REPOSITORY": OWNER_REPO,
         "GITHUB_SERVER_URL": "https://github.com", "GITHUB_API_URL": api,
         "GITHUB_RUN_ID": kw.pop("run_id"), "GITHUB_JOB": "bench",
         "GITHUB_WORKSPACE": ws, "RUNNER_TEMP": runner_temp}
    e.update(kw)
    return base_env(tmp, e)


def pr_event(repo, head_repo=OWNER_REPO):
    return {"action": "synchronize", "number": PR,
            "pull_request": {"number": PR,
                             "head": {"sha": repo.head, "ref": "feature",
                                      "repo": {"full_name": head_repo}},
                             "base": {"sha": repo.main, "ref": "main",
                                      "repo": {"full_name": OWNER_REPO}}}}


def runs(server, project="alpha-q"):
    r = server.get(f"/api/v1/projects/{project}/runs?limit=100")
    return r.json()["runs"] if r.status_code == 200 else []


def run_doc(server, run_id, project="alpha-q"):
    return server.get(f"/api/v1/projects/{project}/runs/{run_id}").json()


def explain(log):
    return "\n".join(f"--- exit {p.returncode}\n{p.stdout}\n{p.stderr}"
                     for p in log)


def test_github_actions_recipe(server, tmpdir_path):
    job, _ = recipes()
    repo = Repo(tmpdir_path)
    store = os.path.join(tmpdir_path, "cache-store")
    os.mkdir(store)
    api = GitHubAPI()
    down = f"http://127.0.0.1:{free_port()}"

    def ctx(server_url, token, gh_token, run_id):
        return {"vars.BENCHVAULT_SERVER": server_url,
                "secrets.BENCHVAULT_TOKEN": token,
                "secrets.GITHUB_TOKEN": gh_token, "github.run_id": run_id}

    try:
        # 1. A push to main: the base branch's history.
        ws = repo.checkout("ws-push", repo.main)
        env = github_env(tmpdir_path, ws, repo, api.url, {"ref": "main"},
                         run_id="100", GITHUB_EVENT_NAME="push",
                         GITHUB_SHA=repo.main, GITHUB_REF="refs/heads/main",
                         GITHUB_REF_NAME="main")
        failed, log = github_job(job, ws, env, ctx(
            server.url, server.write_token, "ghs_write", "100"), store)
        assert not failed, explain(log)
        base = runs(server)
        assert len(base) == 1
        doc = run_doc(server, base[0]["id"])
        assert doc["branch"] == "main" and doc["commit"]["sha"] == repo.main
        testbed = job["env"]["BENCHVAULT_TESTBED"]
        assert doc["testbed"]["name"] == testbed  # named, not the CPU's

        # 2. The pull request: GitHub checked out its merge commit.
        ws = repo.checkout("ws-pr", repo.merge)
        env = github_env(tmpdir_path, ws, repo, api.url, pr_event(repo),
                         run_id="101", GITHUB_EVENT_NAME="pull_request",
                         GITHUB_SHA=repo.merge,
                         GITHUB_REF=f"refs/pull/{PR}/merge",
                         GITHUB_REF_NAME=f"{PR}/merge",
                         GITHUB_HEAD_REF="feature", GITHUB_BASE_REF="main")
        failed, log = github_job(job, ws, env, ctx(
            server.url, server.write_token, "ghs_write", "101"), store)
        out = explain(log)
        # Identical code: a confirmed regression would be a false alarm of
        # the statistics (issue 11), not of the recipe; the recipe's part
        # is that the run is stored, compared and commented.
        assert not failed or "confirmed regression" in out, out
        assert "compared with branch:main" in out, out
        pr_runs = [r for r in runs(server) if r["branch"] == "feature"]
        assert pr_runs, out
        doc = run_doc(server, pr_runs[-1]["id"])
        assert doc["commit"]["sha"] == repo.head  # not the merge commit
        assert doc["metadata"]["checkout"] == repo.merge
        assert doc["pull_request"]["number"] == PR
        assert doc["testbed"]["name"] == testbed
        posts = [r for r in api.requests if r[0] == "POST"]
        assert [(m, p) for m, p, _, _ in posts] == [
            ("POST", f"/repos/{OWNER_REPO}/issues/{PR}/comments")], \
            api.requests
        assert posts[0][2] == "Bearer ghs_write"
        assert "<!-- benchvault-comment -->" in \
            json.loads(posts[0][3])["body"]
        assert os.path.exists(os.path.join(ws, "bench-comment.md"))
        nruns = len(runs(server))

        # 3. A pull request from a fork: no secrets, a read-only token.
        ws = repo.checkout("ws-fork", repo.merge)
        env = github_env(tmpdir_path, ws, repo, api.url,
                         pr_event(repo, head_repo="someone/alpha-q"),
                         run_id="102", GITHUB_EVENT_NAME="pull_request",
                         GITHUB_SHA=repo.merge,
                         GITHUB_REF=f"refs/pull/{PR}/merge",
                         GITHUB_REF_NAME=f"{PR}/merge",
                         GITHUB_HEAD_REF="feature", GITHUB_BASE_REF="main")
        ncalls = len(api.requests)
        failed, log = github_job(job, ws, env, ctx(
            server.url, "", "ghs_readonly", "102"), store)
        assert not failed, explain(log)
        assert len(runs(server)) == nruns  # nothing uploaded
        assert len(api.requests) == ncalls  # no comment attempted
        with open(os.path.join(ws, "bench-run.json")) as fh:
            kept = json.load(fh)
        assert kept["commit"]["sha"] == repo.head
        assert any(r["benchmark"] == "test_sort" for r in kept["results"])

        # 4. The server is down: the job passes, the spool is cached ...
        ws = repo.checkout("ws-down", repo.main)
        env = github_env(tmpdir_path, ws, repo, api.url, {"ref": "main"},
                         run_id="103", GITHUB_EVENT_NAME="push",
                         GITHUB_SHA=repo.main, GITHUB_REF="refs/heads/main",
                         GITHUB_REF_NAME="main")
        failed, log = github_job(job, ws, env, ctx(
            down, server.write_token, "ghs_write", "103"), store)
        assert not failed, explain(log)
        assert "spooled" in explain(log)
        saved = cache_dir(store, "benchvault-spool-103")
        assert [f for f in os.listdir(saved) if f.endswith(".json")], \
            explain(log)
        # ... and the next job (a fresh workspace) restores and delivers it.
        ws = repo.checkout("ws-next", repo.main)
        env = github_env(tmpdir_path, ws, repo, api.url, {"ref": "main"},
                         run_id="104", GITHUB_EVENT_NAME="push",
                         GITHUB_SHA=repo.main, GITHUB_REF="refs/heads/main",
                         GITHUB_REF_NAME="main")
        failed, log = github_job(job, ws, env, ctx(
            server.url, server.write_token, "ghs_write", "104"), store)
        assert not failed, explain(log)
        assert "1 delivered" in explain(log), explain(log)
        assert len(runs(server)) == nruns + 2
    finally:
        api.stop()


# ---- GitLab CI ---------------------------------------------------------------------

def gitlab_job(job, ws, env, store):
    """Plays the job: variables, cache restore, script, cache save."""
    env = dict(env)
    for k, v in (job.get("variables") or {}).items():
        # the runner expands $VAR and ${VAR} in job variables
        env[k] = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""),
                        str(v))
    cache = job.get("cache") or {}
    key = cache_dir(store, cache.get("key", "default"))
    for p in cache.get("paths", []):
        if os.path.isdir(os.path.join(key, p)):
            shutil.copytree(os.path.join(key, p), os.path.join(ws, p),
                            dirs_exist_ok=True)
    script = os.path.join(env["RUNNER_TEMP"], "script.sh")
    with open(script, "w") as fh:
        fh.write("set -eo pipefail\n" + "\n".join(job["script"]) + "\n")
    p = subprocess.run(["bash", "--noprofile", "--norc", script], cwd=ws,
                       env=env, capture_output=True, text=True, timeout=600)
    failed = p.returncode != 0
    if cache.get("when", "on_success") == "always" or not failed:
        for path in cache.get("paths", []):
            if os.path.isdir(os.path.join(ws, path)):
                shutil.copytree(os.path.join(ws, path),
                                os.path.join(key, path), dirs_exist_ok=True)
    return failed, p


def gitlab_env(tmp, ws, **kw):
    runner_temp = os.path.join(tmp, "runner_temp")
    os.makedirs(runner_temp, exist_ok=True)
    e = {"GITLAB_CI": "true", "CI_PROJECT_DIR": ws, "RUNNER_TEMP": runner_temp,
         "CI_PROJECT_PATH": OWNER_REPO, "CI_JOB_NAME": "benchmarks",
         "CI_JOB_URL": "https://gitlab.example/acme/alpha-q/-/jobs/1",
         "CI_DEFAULT_BRANCH": "main"}
    e.update(kw)
    return base_env(tmp, e)


def test_gitlab_ci_recipe(server, tmpdir_path):
    _, job = recipes()
    repo = Repo(tmpdir_path)
    store = os.path.join(tmpdir_path, "cache-store")
    os.mkdir(store)
    down = f"http://127.0.0.1:{free_port()}"
    secrets = {"BENCHVAULT_SERVER": server.url,
               "BENCHVAULT_TOKEN": server.write_token}
    mr = {"CI_PIPELINE_SOURCE": "merge_request_event",
          "CI_COMMIT_SHA": repo.merge,
          "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": repo.head,
          "CI_COMMIT_REF_NAME": "feature",
          "CI_MERGE_REQUEST_IID": "7",
          "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature",
          "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
          "CI_MERGE_REQUEST_PROJECT_ID": "1",
          "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1"}
    push = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_SHA": repo.main,
            "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_BRANCH": "main"}
    # 1. The default branch, then a merged results pipeline.
    ws = repo.checkout("gl-main", repo.main)
    failed, p = gitlab_job(job, ws, gitlab_env(tmpdir_path, ws, **push,
                                               **secrets), store)
    assert not failed, p.stdout + p.stderr
    ws = repo.checkout("gl-mr", repo.merge)
    failed, p = gitlab_job(job, ws, gitlab_env(tmpdir_path, ws, **mr,
                                               **secrets), store)
    assert not failed or "confirmed regression" in p.stderr, \
        p.stdout + p.stderr
    assert "compared with branch:main" in p.stdout, p.stdout + p.stderr
    mrs = [r for r in runs(server) if r["branch"] == "feature"]
    assert mrs
    doc = run_doc(server, mrs[-1]["id"])
    assert doc["commit"]["sha"] == repo.head
    assert doc["metadata"]["checkout"] == repo.merge
    assert doc["pull_request"]["number"] == 7
    assert doc["testbed"]["name"] == job["variables"]["BENCHVAULT_TESTBED"]
    assert os.path.exists(os.path.join(ws, "bench-comment.md"))
    nruns = len(runs(server))
    # 2. A merge request from a fork: no token.
    ws = repo.checkout("gl-fork", repo.merge)
    fork = dict(mr, CI_MERGE_REQUEST_SOURCE_PROJECT_ID="99",
                BENCHVAULT_SERVER=server.url)
    failed, p = gitlab_job(job, ws, gitlab_env(tmpdir_path, ws, **fork),
                           store)
    assert not failed, p.stdout + p.stderr
    assert len(runs(server)) == nruns
    assert os.path.exists(os.path.join(ws, "bench-run.json"))
    # 3. The server down: the job passes, the cache keeps the spool, and
    # the next job delivers it.
    ws = repo.checkout("gl-down", repo.main)
    failed, p = gitlab_job(job, ws, gitlab_env(
        tmpdir_path, ws, **push, BENCHVAULT_SERVER=down,
        BENCHVAULT_TOKEN=server.write_token), store)
    assert not failed, p.stdout + p.stderr
    assert "spooled" in p.stderr
    ws = repo.checkout("gl-next", repo.main)
    failed, p = gitlab_job(job, ws, gitlab_env(tmpdir_path, ws, **push,
                                               **secrets), store)
    assert not failed, p.stdout + p.stderr
    assert "1 delivered" in p.stderr, p.stderr
    assert len(runs(server)) == nruns + 2
