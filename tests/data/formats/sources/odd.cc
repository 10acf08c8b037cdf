// Odd but valid Google Benchmark cases (benchvault's ingest fixtures).
#include <benchmark/benchmark.h>

#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

// Counters that are not finite: NaN, +Infinity, -Infinity.
static void BM_NonFinite(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
  state.counters["nan"] = std::numeric_limits<double>::quiet_NaN();
  state.counters["inf"] = std::numeric_limits<double>::infinity();
  state.counters["neg_inf"] = -std::numeric_limits<double>::infinity();
  state.counters["ok"] = 1.5;
}
BENCHMARK(BM_NonFinite)->Iterations(1000);

// An error on every repetition.
static void BM_Fails(benchmark::State& state) {
  for (auto _ : state) {
    state.SkipWithError("no backend");
    break;
  }
}
BENCHMARK(BM_Fails);

// Aggregates only (no iteration rows), with a custom statistic.
static void BM_AggOnly(benchmark::State& state) {
  std::vector<int> v(static_cast<size_t>(state.range(0)), 1);
  for (auto _ : state) benchmark::DoNotOptimize(std::accumulate(v.begin(), v.end(), 0));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AggOnly)->Arg(64)->Repetitions(3)->ReportAggregatesOnly(true)
    ->ComputeStatistics("max", [](const std::vector<double>& v) {
      return *std::max_element(v.begin(), v.end());
    });

// A non-ASCII name and a label.
static void BM_Gr\u00fc\u00dfe(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(state.iterations());
  state.SetLabel("utf-8 \u00fc");
}
BENCHMARK(BM_Gr\u00fc\u00dfe);

BENCHMARK_MAIN();
