package merge

import (
	"fmt"
	"io"
	"testing"
)

func BenchmarkMerge16(b *testing.B) {
	const sources, perSource = 16, 20_000
	runs := make([][]kv, sources)
	for s := range runs {
		for i := range perSource {
			runs[s] = append(runs[s], kv{fmt.Sprintf("k%08d", i*sources+s), "1"})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		srcs := make([]Source, sources)
		for s := range srcs {
			srcs[s] = &sliceSource{records: runs[s]}
		}
		m, err := New(srcs)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, _, err := m.Next(); err == io.EOF {
				break
			}
		}
	}
	b.ReportMetric(float64(sources*perSource)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
