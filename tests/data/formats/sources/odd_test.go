// Odd but valid go test -bench cases (benchvault's ingest fixtures).
package benchodd

import (
	"sort"
	"testing"
)

func BenchmarkSort(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run("n="+itoa(n), func(b *testing.B) {
			data := make([]int, n)
			for i := 0; i < b.N; i++ {
				for k := range data {
					data[k] = n - k
				}
				sort.Ints(data)
			}
		})
	}
}

func BenchmarkCopy(b *testing.B) {
	src := make([]byte, 4096)
	dst := make([]byte, 4096)
	b.SetBytes(int64(len(src)))
	for i := 0; i < b.N; i++ {
		copy(dst, src)
	}
}

func BenchmarkAlloc(b *testing.B) {
	var keep []byte
	for i := 0; i < b.N; i++ {
		keep = make([]byte, 64)
	}
	_ = keep
}

func BenchmarkCustom(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
	b.ReportMetric(3, "hits/op")
}

func BenchmarkFails(b *testing.B) {
	b.Fatal("broken on purpose")
}

func BenchmarkGrüße(b *testing.B) {
	for i := 0; i < b.N; i++ {
	}
}

func itoa(n int) string {
	s := ""
	for n > 0 {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}
