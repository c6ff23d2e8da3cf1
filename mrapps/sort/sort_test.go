package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/app"
	"6.5840/mr/bench/gensort"
	"6.5840/mr/bench/sortrec"
	"6.5840/mr/bench/valsort"
	"6.5840/mr/sequential"
)

var sortApp = app.App{MapEmit: MapEmit, Reduce: Reduce}

// generate writes the records of c to files in dir and returns their paths.
func generate(t *testing.T, dir string, c gensort.Config, files int) []string {
	t.Helper()
	g, err := gensort.New(c)
	require.NoError(t, err)
	var paths []string
	for j := range files {
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("input-%d", j)))
	}
	require.NoError(t, g.WriteFiles(paths))
	return paths
}

// sortedRecords returns the records of the files, sorted bytewise: by
// key, and records of one key by what follows, their record number.
func sortedRecords(t *testing.T, paths []string) []byte {
	t.Helper()
	var recs []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		for off := 0; off < len(data); off += sortrec.Size {
			recs = append(recs, string(data[off:off+sortrec.Size]))
		}
	}
	slices.Sort(recs)
	return []byte(strings.Join(recs, ""))
}

// TestSequentialSort runs the application through mrsequential's engine:
// the output is the input's records, sorted, byte for byte, and it
// validates against the input's summary.
func TestSequentialSort(t *testing.T) {
	configs := map[string]gensort.Config{
		"uniform":        {Records: 5000, Seed: 1},
		"zipf":           {Records: 5000, Seed: 2, Keys: gensort.Zipf, ZipfKeys: 300},
		"one key":        {Records: 5000, Seed: 3, Keys: gensort.OneKey},
		"a single key":   {Records: 50, Seed: 4, Keys: gensort.Zipf, ZipfKeys: 1},
		"no records":     {Records: 0, Seed: 5},
		"a single input": {Records: 1, Seed: 6},
	}
	for name, c := range configs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			inputs := generate(t, dir, c, 3)
			out := filepath.Join(dir, "mr-out-0")
			require.NoError(t, sequential.Run(sortApp, inputs, out))
			got, err := os.ReadFile(out)
			require.NoError(t, err)
			require.True(t, bytes.Equal(sortedRecords(t, inputs), got), "output is not the sorted records")

			in, err := valsort.Files(inputs...)
			require.NoError(t, err)
			sum, err := valsort.Files(out)
			require.NoError(t, err)
			require.NoError(t, sum.Sorted())
			require.NoError(t, sum.Match(in))
			require.Equal(t, uint64(c.Records), sum.Records)
		})
	}
}

func TestReduceWritesTheRecords(t *testing.T) {
	key := fmt.Sprintf("K  ey~~ !x  %032X", 7)
	rest := func(n int) string { return fmt.Sprintf(" %052X\r", n) }
	line := func(result string) string { return key + " " + result + "\n" }
	record := func(n int) string { return key + " " + rest(n) + "\n" }
	require.Equal(t, record(7), line(Reduce(key, []string{rest(7)})))
	// Records of another generator may repeat the record number.
	require.Equal(t, record(1)+record(2)+record(3), line(Reduce(key, []string{rest(3), rest(1), rest(2)})))
	for n := range 4 {
		require.NoError(t, sortrec.Check(record(n)))
	}
}

// TestKeysAreUniquePerRecord: a key that holds every record still gives
// one key per record, sorted as the records are.
func TestKeysAreUniquePerRecord(t *testing.T) {
	dir := t.TempDir()
	inputs := generate(t, dir, gensort.Config{Records: 500, Seed: 9, Keys: gensort.OneKey}, 1)
	data, err := os.ReadFile(inputs[0])
	require.NoError(t, err)
	seen := map[string]bool{}
	var keys []string
	MapEmit("in", string(data), func(key, _ string) {
		require.False(t, seen[key], "key %q emitted twice", key)
		seen[key] = true
		keys = append(keys, key)
	})
	require.Len(t, keys, 500)
	slices.Sort(keys)
	sorted := sortedRecords(t, inputs)
	for i, k := range keys {
		require.Equal(t, string(sorted[i*sortrec.Size:i*sortrec.Size+len(k)]), k, "key %d sorts as its record", i)
	}
}

func TestMapEmitPairs(t *testing.T) {
	g, err := gensort.New(gensort.Config{Records: 3, Seed: 7})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, g.WriteRange(&buf, gensort.Range{Count: 3}))
	var joined strings.Builder
	n := 0
	MapEmit("in", buf.String(), func(key, value string) {
		require.Len(t, key, keyEnd)
		require.Len(t, value, restEnd-restOffset)
		joined.WriteString(key + " " + value + "\n")
		n++
	})
	require.Equal(t, 3, n)
	require.Equal(t, buf.String(), joined.String())
}

func TestMapEmitRejectsMalformedRecords(t *testing.T) {
	g, err := gensort.New(gensort.Config{Records: 5, Seed: 8})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, g.WriteRange(&buf, gensort.Range{Count: 5}))
	data := buf.String()
	tests := []struct {
		name, contents, want string
	}{
		{"short last record", data[:len(data)-3], "record at byte 400: 97 bytes, not 100"},
		{"a stray byte", data + "\n", "record at byte 500: 1 bytes, not 100"},
		{"LF line ends", strings.ReplaceAll(data, "\r\n", " \n"), `record at byte 0: ends in " \n"`},
		{"a record one byte short", data[:250] + data[251:], `record at byte 200: ends in`},
		{"a tab in a key", data[:302] + "\t" + data[303:], "record at byte 300: byte 2 is 0x09"},
		{"no space after the record number", data[:144] + "x" + data[145:], "record at byte 100: byte 44 is 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				v := recover()
				require.NotNil(t, v, "MapEmit did not fail")
				require.Contains(t, fmt.Sprint(v), "sort: input data/in-3: "+tt.want)
			}()
			MapEmit("data/in-3", tt.contents, func(string, string) {})
		})
	}
}
