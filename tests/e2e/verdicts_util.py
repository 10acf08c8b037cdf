"""The recorded real histories of tests/data/histories (issue 11) pushed to a
real server, and the comparisons the verdict acceptance judges.

Shared by tests/e2e/test_verdicts.py and tests/data/histories/evaluate.py.
Each history goes to a project of its own (hist-a, hist-b, ...), all on one
testbed: its six runs of identical code on branch `main`, its heads on
branch `pr-NAME`, and for leave-one-out, for each history run i, the other
five on a branch of their own, `loo-NAME-i`.  Each run keeps its recorded
commit (sha and time: distinct and increasing within a history, see
manifest.json); branch, commit and testbed are given as query parameters.
"""
import json
import os

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data", "histories"))
TESTBED = "ci-2c"
SLOWED = "test_sort_list"  # the benchmark BENCH_SLOWDOWN slows
VERDICTS = ("regressed", "improved", "unchanged", "inconclusive")
HEAD_ROLES = ("same", "slow20", "slow10")


def manifest():
    with open(os.path.join(DATA, "manifest.json")) as f:
        return json.load(f)


def project_of(history):
    return f"hist-{history.lower()}"


def load_doc(entry):
    with open(os.path.join(DATA, entry["file"])) as f:
        return json.load(f)


def post_doc(url, token, project, entry, branch):
    """Posts one recorded pytest-benchmark file as it is; its run id."""
    with open(os.path.join(DATA, entry["file"]), "rb") as f:
        body = f.read()
    r = requests.post(f"{url}/api/v1/projects/{project}/runs",
                      params={"format": "pytest-benchmark", "branch": branch,
                              "commit": entry["commit"], "testbed": TESTBED},
                      data=body, timeout=120,
                      headers={"Content-Type": "application/json",
                               "Authorization": f"Bearer {token}"})
    assert r.status_code == 201, f"{entry['file']}: {r.status_code} {r.text}"
    return r.json()["run_id"]


_one_value_cache = {}


def one_value_pairs(url, project, run_id):
    """The (benchmark key, measure) pairs that run holds as one value (its
    stored result has no samples), from GET .../runs/{id}."""
    k = (url, project, run_id)
    if k not in _one_value_cache:
        r = requests.get(f"{url}/api/v1/projects/{project}/runs/{run_id}",
                         timeout=60)
        assert r.status_code == 200, r.text
        _one_value_cache[k] = {(x["key"], x["measure"])
                               for x in r.json()["results"]
                               if not x.get("samples")}
    return _one_value_cache[k]


def compare(url, project, base, head):
    r = requests.get(f"{url}/api/v1/projects/{project}/compare",
                     params={"base": base, "head": head}, timeout=300)
    assert r.status_code == 200, f"{project} {base} {head}: {r.text}"
    return r.json()


class Comparison:
    """One /compare answer and what it stands for."""

    def __init__(self, history, kind, label, base, head, answer, url=None,
                 project=None):
        self.history = history
        self.kind = kind      # e.g. slow20, slow20-pooled, loo, loo-pooled
        self.label = label    # the heads, by file stem
        self.base = base
        self.head = head
        self.j = answer
        # pairs every head run holds as one value (see single_value)
        self.one_value = set.intersection(*[
            one_value_pairs(url, project, int(i)) for i in head.split(",")]) \
            if url else set()

    @property
    def rows(self):
        return self.j.get("rows", [])

    def row(self, benchmark, measure="latency"):
        for r in self.rows:
            if r["benchmark"] == benchmark and r["measure"] == measure:
                return r
        return None

    def single_value(self, r):
        """A row that is one value per run: every head run stores it
        without samples (pytest-benchmark's throughput, 1/mean), and the row
        does not say it was compared on more values than there are head
        runs (as it would if throughput were derived from per-round
        times)."""
        if (r.get("benchmark"), r.get("measure")) not in self.one_value:
            return False
        n = (r.get("head_stats") or {}).get("n")
        return n is None or n <= len(self.head.split(","))

    def where(self):
        return f"{self.history} {self.kind} {self.label} (base={self.base})"


def push_history(url, token, history, entries):
    """Pushes one history, its heads and its leave-one-out branches; the run
    ids by file stem ("A-h1", "A-same1", ...) and the loo branch names."""
    project = project_of(history)
    ids = {}
    hist = sorted((e for e in entries if e["role"] == "history"),
                  key=lambda e: e["order"])
    for e in sorted(entries, key=lambda e: e["order"]):
        branch = "main" if e["role"] == "history" else f"pr-{history}"
        ids[e["file"][:-5]] = post_doc(url, token, project, e, branch)
    loo = {}
    for i, left in enumerate(hist):
        branch = f"loo-{history}-{i + 1}"
        for e in hist:
            if e is not left:
                post_doc(url, token, project, e, branch)
        loo[left["file"][:-5]] = branch
    return ids, loo


def comparisons(url, token, with_loo=True):
    """Pushes every recorded history and makes every comparison of the
    acceptance; the list of Comparison."""
    by_history = {}
    for e in manifest():
        by_history.setdefault(e["history"], []).append(e)
    out = []
    for history in sorted(by_history):
        entries = by_history[history]
        project = project_of(history)
        ids, loo = push_history(url, token, history, entries)
        base = "branch:main"
        for role in HEAD_ROLES:
            stems = [f"{history}-{role}1", f"{history}-{role}2"] \
                if role == "same" else \
                [f"{history}-{role}-1", f"{history}-{role}-2"]
            for s in stems:
                out.append(Comparison(history, role, s, base, str(ids[s]),
                                      compare(url, project, base,
                                              str(ids[s])), url, project))
            head = f"{ids[stems[0]]},{ids[stems[1]]}"
            out.append(Comparison(history, role + "-pooled",
                                  "+".join(stems), base, head,
                                  compare(url, project, base, head), url,
                                  project))
        if not with_loo:
            continue
        for i, (stem, branch) in enumerate(sorted(loo.items())):
            b = f"branch:{branch}"
            out.append(Comparison(history, "loo", stem, b, str(ids[stem]),
                                  compare(url, project, b, str(ids[stem])),
                                  url, project))
            # pooled with a second run of the same code that is not in the
            # base: the identical-code heads, taken in turn
            other = f"{history}-same{1 + i % 2}"
            head = f"{ids[stem]},{ids[other]}"
            out.append(Comparison(history, "loo-pooled", f"{stem}+{other}",
                                  b, head, compare(url, project, b, head),
                                  url, project))
    return out


def pct(x):
    return "-" if x is None else f"{100 * x:+.1f}%"


def ci_str(ci):
    if not ci or ci[0] is None or ci[1] is None:
        return "-"
    return f"[{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"


def base_runs(c):
    b = c.j.get("base", {})
    runs = b.get("runs") or []
    return ",".join(str(r.get("id")) for r in runs)


def table(comps, benchmark=SLOWED, measure="latency"):
    """One line per comparison: base resolution, the benchmark's change, CI
    and verdict, and the comparison's regressed rows and summary."""
    lines = [f"{'history':7} {'kind':13} {'head':22} {'change':>8} "
             f"{'95% CI':>17} {'verdict':12} regressed rows / summary"]
    for c in comps:
        r = c.row(benchmark, measure) or {}
        reg = [f"{x['benchmark']}:{x['measure']}" for x in c.rows
               if x.get("verdict") == "regressed"]
        s = c.j.get("summary", {})
        summ = " ".join(f"{k}={s.get(k)}" for k in
                        VERDICTS + ("not_compared",) if k in s)
        lines.append(f"{c.history:7} {c.kind:13} {c.label:22} "
                     f"{pct(r.get('change')):>8} "
                     f"{ci_str(r.get('change_ci')):>17} "
                     f"{str(r.get('verdict')):12} "
                     f"{len(reg)} {reg[:3]}{'...' if len(reg) > 3 else ''} "
                     f"| {summ}")
        b = c.j.get("base", {})
        lines.append(f"{'':7} base {c.base}: runs [{base_runs(c)}] "
                     f"resolved: {b.get('resolved')}")
    return "\n".join(lines)
