// A small Go benchmark for the runner agent's end-to-end tests
// (tests/e2e/test_run_tools.py): `go test -bench` compiles the test binary
// in child processes (compile, link) that exit before the benchmark runs,
// the case in which the sampler used to lose CPU.
package agentbench

import (
	"sort"
	"testing"
)

func BenchmarkSort(b *testing.B) {
	d := make([]int, 1000)
	for i := 0; i < b.N; i++ {
		for k := range d {
			d[k] = len(d) - k
		}
		sort.Ints(d)
	}
}
