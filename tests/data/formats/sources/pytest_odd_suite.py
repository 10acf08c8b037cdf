"""Odd but valid pytest-benchmark cases (benchvault's ingest fixtures)."""
import pytest


def test_nonfinite_extra(benchmark):
    benchmark.extra_info["nan"] = float("nan")
    benchmark.extra_info["inf"] = float("inf")
    benchmark.extra_info["big"] = 2**53 + 1
    benchmark.extra_info["unit"] = "\u00b5s"
    benchmark(sum, range(10))


def test_single_round(benchmark):
    benchmark.pedantic(sum, args=(range(100),), rounds=1, iterations=1)


def test_raises(benchmark):
    def boom():
        raise RuntimeError("vanishes from the JSON")
    benchmark(boom)


@pytest.mark.parametrize("name", ["plain", "gr\u00fc\u00dfe"])
def test_non_ascii(benchmark, name):
    benchmark(str.upper, name)


@pytest.mark.parametrize("shape", [(2, 3)])
@pytest.mark.parametrize("n", [16])
def test_stacked(benchmark, shape, n):
    benchmark(sum, range(n))


@pytest.mark.benchmark(group="slow")
def test_grouped(benchmark):
    benchmark(sum, range(1000))
