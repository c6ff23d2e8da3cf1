package worker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/ifile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// letters emits (letter, position) for every byte of contents.
var letters = app.App{
	Map: func(_ string, contents string) []mr.KeyValue {
		var kvs []mr.KeyValue
		for i, c := range contents {
			kvs = append(kvs, mr.KeyValue{Key: string(c), Value: string(rune('0' + i%10))})
		}
		return kvs
	},
	Reduce: func(_ string, values []string) string { return strings.Join(values, ",") },
}

func runMaps(t *testing.T, a app.App, dir string, nReduce int, inputs ...string) []int {
	t.Helper()
	attempts := make([]int, len(inputs))
	for m, contents := range inputs {
		in := filepath.Join(dir, "in"+string(rune('a'+m)))
		require.NoError(t, os.WriteFile(in, []byte(contents), 0o644))
		id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: 1}
		require.NoError(t, mapJob{app: a, dir: dir, attempt: id, input: task.WholeFile(in), nReduce: nReduce}.run(context.Background()))
		attempts[m] = 1
	}
	return attempts
}

func runReduces(t *testing.T, a app.App, dir string, nReduce int, mapAttempts []int) string {
	t.Helper()
	var all []string
	for r := range nReduce {
		id := task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: r}, Attempt: 1}
		require.NoError(t, reduceJob{app: a, dir: dir, attempt: id, mapAttempts: mapAttempts}.run(context.Background()))
		data, err := os.ReadFile(filepath.Join(dir, jobfiles.Output(r)))
		require.NoError(t, err)
		all = append(all, string(data))
	}
	return strings.Join(all, "")
}

func TestMapThenReduce(t *testing.T) {
	dir := t.TempDir()
	attempts := runMaps(t, letters, dir, 1, "abca", "ba")
	// One partition: keys in order, values in map-task then emission order.
	require.Equal(t, "a 0,3,1\nb 1,0\nc 2\n", runReduces(t, letters, dir, 1, attempts))
}

func TestPartitionsSplitKeys(t *testing.T) {
	dir := t.TempDir()
	attempts := runMaps(t, letters, dir, 3, "abcdefgh", "hgfedcba")
	out := runReduces(t, letters, dir, 3, attempts)
	require.Equal(t, 8, strings.Count(out, "\n"))
	for r := range 3 {
		data, err := os.ReadFile(filepath.Join(dir, jobfiles.Output(r)))
		require.NoError(t, err)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if line == "" {
				continue
			}
			key := strings.Fields(line)[0]
			require.Equal(t, r, mr.Hash(key)%3, "key %q in the wrong partition", key)
		}
	}
}

func TestCombineAndPartitionExports(t *testing.T) {
	dir := t.TempDir()
	a := letters
	var combined []string
	a.Combine = func(key string, values []string) string {
		combined = append(combined, key)
		return strings.Join(values, "+")
	}
	a.Partition = func(key string, nReduce int) int { return 0 } // everything to reduce 0
	attempts := runMaps(t, a, dir, 2, "aab")
	require.Equal(t, []string{"a", "b"}, combined)
	require.Equal(t, "a 0+1\nb 2\n", runReduces(t, a, dir, 2, attempts))
}

func TestBadPartitionIsAnError(t *testing.T) {
	a := letters
	a.Partition = func(string, int) int { return 7 }
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("x"), 0o644))
	err := mapJob{app: a, dir: dir, attempt: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, input: task.WholeFile(in), nReduce: 2}.run(context.Background())
	require.ErrorContains(t, err, `Partition("x", 2) returned 7`)
}

func TestPanicsBecomeErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("x"), 0o644))
	a := letters
	a.Map = func(string, string) []mr.KeyValue { panic("bad record 17") }
	err := mapJob{app: a, dir: dir, attempt: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, input: task.WholeFile(in), nReduce: 1}.run(context.Background())
	require.ErrorContains(t, err, "Map panicked: bad record 17")

	attempts := runMaps(t, letters, dir, 1, "x")
	a = letters
	a.Reduce = func(string, []string) string { panic("reduce boom") }
	err = reduceJob{app: a, dir: dir, attempt: task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}, mapAttempts: attempts}.run(context.Background())
	require.ErrorContains(t, err, "Reduce panicked: reduce boom")
	_, statErr := os.Stat(filepath.Join(dir, jobfiles.Output(0)))
	require.True(t, os.IsNotExist(statErr), "a failed reduce left an output file")
}

func TestCancelledAttemptWritesNothing(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("abc"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := mapJob{app: letters, dir: dir, attempt: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, input: task.WholeFile(in), nReduce: 2}.run(ctx)
	require.ErrorIs(t, err, context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the input may remain, no temp or intermediate files")
}

func TestReduceRefusesMissingOrDamagedInput(t *testing.T) {
	dir := t.TempDir()
	attempts := runMaps(t, letters, dir, 1, "ab")
	id := task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}
	err := reduceJob{app: letters, dir: dir, attempt: id, mapAttempts: []int{2}}.run(context.Background())
	require.ErrorContains(t, err, jobfiles.Intermediate(0, 2))

	name := filepath.Join(dir, jobfiles.Intermediate(0, attempts[0]))
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(name, data[:len(data)-2], 0o644))
	err = reduceJob{app: letters, dir: dir, attempt: id, mapAttempts: attempts}.run(context.Background())
	require.ErrorIs(t, err, ifile.ErrFormat)
}
