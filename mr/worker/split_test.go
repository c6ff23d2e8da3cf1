package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/task"
)

// checkSplits fails unless parts, the splits of text read size bytes
// apart, hand Map every line exactly once: their concatenation is text,
// and each holds whole lines, all of which start in its own range.
func checkSplits(t testing.TB, text string, size int64, parts []string) {
	t.Helper()
	if got := strings.Join(parts, ""); got != text {
		t.Fatalf("split size %d: splits joined are %q; want %q", size, got, text)
	}
	pos := int64(0)
	for k, part := range parts {
		off, end := int64(k)*size, int64(k+1)*size
		for line := range strings.Lines(part) {
			if pos != 0 && text[pos-1] != '\n' {
				t.Fatalf("split size %d: split %d starts mid-line at %d", size, k, pos)
			}
			if pos < off || pos >= end {
				t.Fatalf("split size %d: split %d [%d:%d) holds the line at %d", size, k, off, end, pos)
			}
			pos += int64(len(line))
		}
	}
}

// splitsOf reads every split of the file at path, size bytes apart.
func splitsOf(t testing.TB, path string, size int64) []string {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for off := int64(0); off < info.Size(); off += size {
		s, err := readInput(context.Background(), nil, task.Input{Path: path, Offset: off, Length: min(size, info.Size()-off)})
		if err != nil {
			t.Fatalf("split size %d at %d: %v", size, off, err)
		}
		parts = append(parts, s)
	}
	return parts
}

// linesOf returns lines of the given lengths (newline included), each
// ending in end, the last one without it if unterminated.
func linesOf(lengths []int, end string, unterminated bool) string {
	var b strings.Builder
	for i, n := range lengths {
		body := strings.Repeat(string(rune('a'+i%26)), max(n-len(end), 0))
		b.WriteString(body)
		if !unterminated || i < len(lengths)-1 {
			b.WriteString(end)
		}
	}
	return b.String()
}

func TestSplitsHandEachLineOnce(t *testing.T) {
	short := []int{1, 2, 3, 1, 7, 8, 9, 1, 1, 16, 17, 40, 5, 2}
	long := []int{10, scanChunk - 1, 3, scanChunk, scanChunk + 1, 1, 3*scanChunk + 7, 2, 2}
	shortSizes := []int64{1, 2, 3, 4, 5, 7, 8, 9, 10, 16, 17, 33, 39, 40, 41, 64, 200}
	longSizes := []int64{1000, scanChunk - 1, scanChunk, scanChunk + 1, 2*scanChunk + 3, 1 << 20}
	tests := []struct {
		name    string
		lengths []int
		sizes   []int64
	}{
		{"short lines", short, shortSizes},
		{"lines longer than the scan chunk", long, longSizes},
		{"one line longer than every split", []int{500}, shortSizes},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		for _, end := range []string{"\n", "\r\n"} {
			for _, unterminated := range []bool{false, true} {
				text := linesOf(tt.lengths, end, unterminated)
				path := filepath.Join(dir, "in")
				if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}
				for _, size := range tt.sizes {
					checkSplits(t, text, size, splitsOf(t, path, size))
				}
			}
		}
	}
	// Splits cut exactly at line boundaries: each is one line.
	text := "abc\ndef\nghi\n"
	path := filepath.Join(dir, "aligned")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	parts := splitsOf(t, path, 4)
	if want := []string{"abc\n", "def\n", "ghi\n"}; strings.Join(parts, "|") != strings.Join(want, "|") {
		t.Fatalf("aligned splits are %q; want %q", parts, want)
	}
}

func TestSplitPastTheEndOfAShrunkFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	if err := os.WriteFile(path, []byte("abc\ndef"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, in := range []task.Input{{Path: path, Offset: 5, Length: 100}, {Path: path, Offset: 50, Length: 10}} {
		got, err := readInput(context.Background(), nil, in)
		if err != nil || got != "" {
			t.Fatalf("readInput(%v) = %q, %v; want nothing, no error", in, got, err)
		}
	}
	got, err := readInput(context.Background(), nil, task.Input{Path: path, Offset: 0, Length: 100})
	if err != nil || got != "abc\ndef" {
		t.Fatalf("readInput of the whole range = %q, %v; want the file", got, err)
	}
	_, err = readInput(context.Background(), nil, task.Input{Path: path + ".gone", Offset: 4, Length: 4})
	if err == nil || !strings.Contains(err.Error(), path+".gone") {
		t.Fatalf("readInput of a missing file: %v; want an error naming it", err)
	}
}

// TestSplitsOfALongLineAllocateItOnce reads every 1 MiB split of a file
// that is one 64 MiB line. The first split returns the line; the others
// return nothing, and must not hold the line while skipping it.
func TestSplitsOfALongLineAllocateItOnce(t *testing.T) {
	const (
		lineLen   = 64 << 20
		splitSize = 1 << 20
		// maxFactor bounds the bytes allocated, as a multiple of the line.
		maxFactor = 2
	)
	path := filepath.Join(t.TempDir(), "in")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{'x'}, splitSize)
	for range lineLen / splitSize {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Write([]byte("\nshort\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	chunk = nil

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	parts := splitsOf(t, path, splitSize)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d splits allocated %d MiB for a %d MiB line", len(parts), allocated>>20, lineLen>>20)
	if len(parts[0]) != lineLen+1 || parts[len(parts)-1] != "short\n" {
		t.Fatalf("first split has %d bytes, last %q; want the line and \"short\\n\"", len(parts[0]), parts[len(parts)-1])
	}
	if allocated > maxFactor*lineLen {
		t.Fatalf("reading the splits allocated %d MiB; want at most %d MiB", allocated>>20, maxFactor*lineLen>>20)
	}
}

// FuzzSplits reads every split of arbitrary data, looking for line ends
// through a buffer of chunk bytes, and checks that the splits hand Map
// each line exactly once.
func FuzzSplits(f *testing.F) {
	f.Add([]byte("alpha beta\ngamma\n\ndelta\r\nepsilon"), uint16(3), uint8(4))
	f.Add([]byte("abc\ndef\nghi\n"), uint16(4), uint8(1))
	f.Add([]byte("\n\n\n"), uint16(1), uint8(2))
	f.Add(bytes.Repeat([]byte{'x'}, 100), uint16(7), uint8(3))
	f.Add([]byte(linesOf([]int{8, 9, 4, 1, 17}, "\n", true)), uint16(8), uint8(8))
	f.Add([]byte(""), uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, size uint16, chunk uint8) {
		text := string(data)
		n := max(int64(size), 1)
		buf := make([]byte, max(int(chunk), 1))
		r := io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data)))
		var parts []string
		for off := int64(0); off < int64(len(data)); off += n {
			s, err := readSplit(r, off, min(n, int64(len(data))-off), buf)
			if err != nil {
				t.Fatalf("split at %d: %v", off, err)
			}
			parts = append(parts, s)
		}
		checkSplits(t, text, n, parts)
	})
}

func TestReadWholeFile(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{0, 1, 4095, 4096, 1 << 20} {
		path := filepath.Join(dir, fmt.Sprintf("f%d", size))
		want := bytes.Repeat([]byte("x"), size)
		require.NoError(t, os.WriteFile(path, want, 0o644))
		got, err := readWholeFile(path)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err := readWholeFile(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
	require.ErrorContains(t, err, "open "+filepath.Join(dir, "missing"))
	_, err = readWholeFile(dir)
	require.ErrorContains(t, err, "read "+dir)
}
