def test_tiny(benchmark):
    benchmark(sum, range(10))
