package worker

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/app/apptest"
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
		app  func() *mapCollector
	}{
		{"group", func() *mapCollector { return newMapCollector(words, 10, DefaultSortBuffer, "", nil, nil, nil) }},
		{"combine", func() *mapCollector { return newMapCollector(combining, 10, DefaultSortBuffer, "", nil, nil, nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out := bc.app()
				if err := out.add(slicesClone(kvs)); err != nil {
					b.Fatal(err)
				}
				sections := ifile.NewSectionWriter(io.Discard)
				if _, err := out.drain(sections); err != nil {
					b.Fatal(err)
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

// BenchmarkEmitCorpus streams one file of the mrbench corpus (mrbench gen;
// skipped without one) through emit into the map output buffer and drains
// it, as a map task does, without the disk: the engine's share of a word
// count map task.
func BenchmarkEmitCorpus(b *testing.B) {
	b.Run("text", func(b *testing.B) { benchmarkEmit(b, apptest.Corpus(b)) })
	files, _ := filepath.Glob(filepath.Join(os.TempDir(), "mrbench-corpus-*", "*.txt"))
	if len(files) == 0 {
		b.Skip("no mrbench corpus in $TMPDIR: run make bench once")
	}
	// The largest file: a corpus of many files has larger ones than the
	// one-file corpus of the tiny run.
	largest, size := "", int64(-1)
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > size {
			largest, size = f, fi.Size()
		}
	}
	data, err := os.ReadFile(largest)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("zipf", func(b *testing.B) { benchmarkEmit(b, string(data)) })
}

// benchmarkEmit streams text through emit and drains the buffer, with
// and without a combiner.
func benchmarkEmit(b *testing.B, text string) {
	combining := words
	combining.Combine = sum
	for _, bc := range []struct {
		name string
		app  app.App
	}{{"combine", combining}, {"group", words}} {
		b.Run(bc.name, func(b *testing.B) {
			buf := newMapBuffer(bc.app, 10)
			pairs := 0
			for b.Loop() {
				out := newMapCollector(bc.app, 10, DefaultSortBuffer, "", nil, nil, buf)
				forEachField(text, func(w string) { out.emit(w, "1") })
				pairs = int(out.stats.outputRecords)
				if _, err := out.drain(ifile.NewSectionWriter(io.Discard)); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(text)))
			b.ReportMetric(float64(pairs)*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}

// forEachField calls fn with every run of ASCII letters and non-ASCII
// bytes in s, without allocating: close to word count's MapEmit.
func forEachField(s string, fn func(string)) {
	start := -1
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 'A' || c > 'z' || (c > 'Z' && c < 'a') && c < 0x80 {
			if start >= 0 {
				fn(s[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		fn(s[start:])
	}
}
