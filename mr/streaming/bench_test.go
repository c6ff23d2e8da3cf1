package streaming

import (
	"bytes"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"6.5840/mr/kvbuf"
)

// benchLines returns about size bytes of "wordN<TAB>1" lines, as a word
// count's mapper writes them, and how many lines that is.
func benchLines(size int) (string, int) {
	var b strings.Builder
	n := 0
	for b.Len() < size {
		fmt.Fprintf(&b, "word%d\t1\n", n%5000)
		n++
	}
	return b.String(), n
}

const benchSize = 16 << 20

// BenchmarkReadPairs is the engine's share of the map pipe: splitting
// lines and keys from values, with the strings emit gets.
func BenchmarkReadPairs(b *testing.B) {
	lines, n := benchLines(benchSize)
	b.SetBytes(int64(len(lines)))
	for b.Loop() {
		got := 0
		if err := readPairs(strings.NewReader(lines), MaxLine, func(string, string) { got++ }); err != nil || got != n {
			b.Fatalf("read %d pairs, err %v; want %d", got, err, n)
		}
	}
}

// BenchmarkMapPipe is the whole map pipe with cat as the mapper: the input
// written to its stdin, copied by cat, read back and parsed into pairs.
func BenchmarkMapPipe(b *testing.B) {
	lines, n := benchLines(benchSize)
	m, err := Parse("cat")
	if err != nil {
		b.Fatal(err)
	}
	a := &App{Mapper: m, Reducer: m}
	b.SetBytes(int64(len(lines)))
	for b.Loop() {
		got := 0
		if err := a.Map(b.Context(), mapAttempt, lines, func(string, string) { got++ }); err != nil || got != n {
			b.Fatalf("read %d pairs, err %v; want %d", got, err, n)
		}
	}
}

// BenchmarkReducePipe is the whole reduce pipe with cat as the reducer:
// records written as lines to its stdin, its stdout copied out.
func BenchmarkReducePipe(b *testing.B) {
	lines, n := benchLines(benchSize)
	kvs := make([][2]string, 0, n)
	for _, l := range strings.Split(strings.TrimSuffix(lines, "\n"), "\n") {
		k, v, _ := strings.Cut(l, "\t")
		kvs = append(kvs, [2]string{k, v})
	}
	r, err := Parse("cat")
	if err != nil {
		b.Fatal(err)
	}
	a := &App{Mapper: r, Reducer: r}
	b.SetBytes(int64(len(lines)))
	var out bytes.Buffer
	for b.Loop() {
		out.Reset()
		if err := a.Reduce(b.Context(), reduceAttempt, &records{kvs: kvs}, &out); err != nil || out.Len() != len(lines) {
			b.Fatalf("wrote %d bytes, err %v; want %d", out.Len(), err, len(lines))
		}
	}
}

// BenchmarkMapPipeIntoBuffer is the map pipe as a job runs it: cat as the
// mapper, its pairs added to a map buffer with a combiner. cpu-MB/s is
// the input's bytes over this process's CPU time (the engine's cores,
// not cat's): the engine's share of the pipe.
func BenchmarkMapPipeIntoBuffer(b *testing.B) {
	lines, n := benchLines(benchSize)
	m, err := Parse("cat")
	if err != nil {
		b.Fatal(err)
	}
	a := &App{Mapper: m, Reducer: m}
	first := func(_ string, values []string) string { return values[0] }
	buf := kvbuf.New(func(string) int { return 0 }, first)
	b.SetBytes(int64(len(lines)))
	start := cpuTime(b)
	for b.Loop() {
		got := 0
		emit := func(key, value string) { buf.Add(key, value); got++ }
		if err := a.Map(b.Context(), mapAttempt, lines, emit); err != nil || got != n {
			b.Fatalf("read %d pairs, err %v; want %d", got, err, n)
		}
		buf.Reset()
	}
	cpu := cpuTime(b) - start
	b.ReportMetric(float64(len(lines))*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
}

// cpuTime returns the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
