"""The project's benchmarks in tests/e2e/test_ci_recipes.py: the repository
that docs/ci.md's recipes run in (`python3 -m pytest benchmarks/`).  Kept
short (max_time) so that a recipe's job takes seconds."""
import hashlib

import pytest

pytestmark = pytest.mark.benchmark(max_time=0.05, min_rounds=20)


def test_sort(benchmark):
    data = list(range(500, 0, -1))
    benchmark(sorted, data)


def test_sha256(benchmark):
    payload = b"x" * 1000
    benchmark(lambda: hashlib.sha256(payload).hexdigest())
