"""The comparison's text and Markdown (the pull-request comment), byte for
byte: a fixed history pushed into a fresh database, compared by
`benchvault compare --db`, must print exactly the golden files in
tests/data/compare_output/.  The writers are render/'s (render/
compare_text.c); this pins their bytes, so a move or a refactor of them
cannot change what CI jobs and pull requests show without a diff here.

A deliberate change of the output (or of the statistics behind it) is
recorded by running this test with BV_UPDATE_GOLDEN=1 and committing the
new files with the change."""
import hashlib
import json
import os

from conftest import run_cli

GOLDEN = os.path.join(os.path.dirname(__file__), "..", "data",
                      "compare_output")


def samples(center, run, spread=0.02, n=9):
    """n deterministic samples around center (no random generator, so the
    same on every machine and Python)."""
    return [round(center * (1 + spread * (((run * 31 + k * 17) % 11) - 5)
                            / 5), 6) for k in range(n)]


def run_doc(i, branch, scale, extra=None, drop=(), metadata=None):
    """Run i: fast_path[n=10] regresses by scale["fast"], slow_path by
    scale["slow"]; a name with Markdown's punctuation; a value-only row."""
    results = [
        {"benchmark": "fast_path", "params": {"n": 10},
         "measures": {
             "latency": {"unit": "ms",
                         "samples": samples(10 * scale["fast"], i)},
             "throughput": {"unit": "ops/s",
                            "samples": samples(100 / scale["fast"], i)}}},
        {"benchmark": "slow_path",
         "measures": {"latency": {"unit": "ms",
                                  "samples": samples(20 * scale["slow"],
                                                     i)}}},
        {"benchmark": "parse_*<b>|x",
         "measures": {"latency": {"unit": "us", "samples": samples(5, i)}}},
        {"benchmark": "single",
         "measures": {"memory": {"unit": "MiB", "value": 100 + i}}},
        {"benchmark": "gone",
         "measures": {"latency": {"unit": "ms", "samples": samples(3, i)}}},
    ]
    results = [r for r in results if r["benchmark"] not in drop]
    results += extra or []
    doc = {"format": "benchvault/v1", "project": "gold", "branch": branch,
           "commit": {"sha": hashlib.sha1(str(i).encode()).hexdigest(),
                      "time": f"2026-11-{i + 1:02d}T12:00:00Z"},
           "testbed": {"name": "ci-linux"}, "results": results}
    if metadata:
        doc["metadata"] = metadata
    return doc


def build(tmpdir_path):
    db = os.path.join(tmpdir_path, "gold.db")
    same = {"fast": 1.0, "slow": 1.0}
    for i in range(8):
        path = os.path.join(tmpdir_path, f"run{i}.json")
        with open(path, "w") as f:
            json.dump(run_doc(i, "main", same), f)
        args = ["push", "--db", db, "--project", "gold", path]
        if i == 0:
            args.insert(3, "--create")
        run_cli(*args)
    head = run_doc(
        20, "feature/x", {"fast": 1.3, "slow": 0.7}, drop=("gone",),
        extra=[{"benchmark": "new_one",
                "measures": {"latency": {"unit": "ms",
                                         "samples": samples(1, 20)}}}],
        metadata={"budgets": [{"benchmark": "fast_path*",
                               "measure": "latency", "max": 11,
                               "unit": "ms"}]})
    path = os.path.join(tmpdir_path, "head.json")
    with open(path, "w") as f:
        json.dump(head, f)
    run_cli("push", "--db", db, "--project", "gold", path)
    return db


CASES = [
    ("text.txt", ["--format", "text"]),
    ("comment.md", ["--format", "markdown"]),
    ("comment-linked.md", ["--format", "markdown", "--link",
                           "https://bench.example.org:8080"]),
]


def test_compare_text_and_markdown_are_the_golden_bytes(tmpdir_path):
    db = build(tmpdir_path)
    update = os.environ.get("BV_UPDATE_GOLDEN") == "1"
    for name, args in CASES:
        p = run_cli("compare", "--db", db, "--project", "gold", "--base",
                    "branch:main", "--head", "9", *args, check=False)
        assert p.returncode in (0, 1), p.stderr
        path = os.path.join(GOLDEN, name)
        if update:
            with open(path, "w", encoding="utf-8") as f:
                f.write(p.stdout)
            continue
        with open(path, encoding="utf-8") as f:
            want = f.read()
        assert p.stdout == want, (name, p.stdout)
