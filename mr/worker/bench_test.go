package worker

import (
	"io"
	"testing"

	"6.5840/mr"
	"6.5840/mr/ifile"
)

// benchPairs returns the word-count Map output of about size bytes of
// skewed text.
func benchPairs(size int) []mr.KeyValue {
	text := randomText(7, size/6)
	return words.Map("bench", text)
}

func BenchmarkPartition(b *testing.B) {
	kvs := benchPairs(4 << 20)
	b.ReportAllocs()
	for b.Loop() {
		for _, kv := range kvs {
			_ = words.PartitionOf(kv.Key, 10)
		}
	}
	b.ReportMetric(float64(len(kvs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkMapOutput measures partitioning, sorting or combining, and
// encoding one map task's output, without the disk.
func BenchmarkMapOutput(b *testing.B) {
	kvs := benchPairs(4 << 20)
	combining := words
	combining.Combine = sum
	for _, bc := range []struct {
		name string
		app  func() *mapOutput
	}{
		{"group", func() *mapOutput { return newMapOutput(words, 10, DefaultSortBuffer, "", nil) }},
		{"combine", func() *mapOutput { return newMapOutput(combining, 10, DefaultSortBuffer, "", nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out := bc.app()
				if err := out.add(slicesClone(kvs)); err != nil {
					b.Fatal(err)
				}
				sections := ifile.NewSectionWriter(io.Discard)
				for r := range 10 {
					w, err := sections.Next()
					if err != nil {
						b.Fatal(err)
					}
					if _, err := out.flush(r, w); err != nil {
						b.Fatal(err)
					}
				}
				if err := sections.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(kvs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func slicesClone(kvs []mr.KeyValue) []mr.KeyValue { return append([]mr.KeyValue(nil), kvs...) }
