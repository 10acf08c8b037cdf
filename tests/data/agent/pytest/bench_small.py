"""A small pytest-benchmark suite for the runner agent's end-to-end tests
(tests/e2e/test_run_tools.py): a few benchmarks of plain Python work, some
parametrised, enough to make a real pytest run with a subprocess-free RSS
profile (the interpreter's start, then a plateau)."""
import hashlib
import json

import pytest


def test_sort_list(benchmark):
    data = list(range(2000, 0, -1))
    benchmark(sorted, data)


@pytest.mark.parametrize("size", [100, 1000])
def test_sha256(benchmark, size):
    payload = b"x" * size
    benchmark(lambda: hashlib.sha256(payload).hexdigest())


def test_json_round_trip(benchmark):
    doc = {"k%d" % i: [i, str(i), {"v": i * 0.5}] for i in range(200)}
    benchmark(lambda: json.loads(json.dumps(doc)))
