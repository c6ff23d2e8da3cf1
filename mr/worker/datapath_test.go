package worker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/app/apptest"
	"6.5840/mr/filemerge"
	"6.5840/mr/task"
)

// words counts words; sum adds up counts, serving as Reduce and Combine.
var words = app.App{
	Map: func(_ string, contents string) []mr.KeyValue {
		var kvs []mr.KeyValue
		for _, w := range strings.Fields(contents) {
			kvs = append(kvs, mr.KeyValue{Key: w, Value: "1"})
		}
		return kvs
	},
	Reduce: sum,
}

// sum adds up counts.
var sum = apptest.Sum

// randomText returns n words drawn from a skewed vocabulary.
func randomText(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, seed))
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "w%d", rng.IntN(1+rng.IntN(500)))
		if i%12 == 11 {
			b.WriteByte('\n')
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// runJob maps inputs with a sort buffer of limit bytes, reduces, and
// returns the concatenated outputs.
func runJob(t *testing.T, a app.App, limit int64, nReduce int, inputs ...string) string {
	dir := t.TempDir()
	attempts := make([]int, len(inputs))
	for m, contents := range inputs {
		in := filepath.Join(dir, fmt.Sprintf("in%d", m))
		require.NoError(t, os.WriteFile(in, []byte(contents), 0o644))
		id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: 1}
		_, _, _, err := mapAttempt{app: a, dir: dir, id: id, input: task.WholeFile(in), nReduce: nReduce, sortBuffer: limit}.write(context.Background())
		require.NoError(t, err)
		attempts[m] = 1
	}
	out := runReduces(t, a, dir, nReduce, attempts)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.False(t, strings.HasPrefix(e.Name(), ".mr-tmp-"), "scratch file %s left behind", e.Name())
	}
	return out
}

func TestSpillingChangesNothing(t *testing.T) {
	inputs := []string{randomText(1, 5000), randomText(2, 3000), ""}
	combining := words
	combining.Combine = sum
	for _, tt := range []struct {
		name string
		app  app.App
	}{{"plain", words}, {"combiner", combining}} {
		t.Run(tt.name, func(t *testing.T) {
			want := runJob(t, tt.app, DefaultSortBuffer, 3, inputs...)
			require.Equal(t, want, runJob(t, tt.app, 8<<10, 3, inputs...), "8 KiB buffer: many spills")
			small := []string{randomText(4, 300), randomText(5, 200)}
			require.Equal(t, runJob(t, tt.app, DefaultSortBuffer, 3, small...), runJob(t, tt.app, 1, 3, small...),
				"spill after every record: more runs than one merge takes")
			require.Equal(t, want, runJob(t, words, DefaultSortBuffer, 3, inputs...), "combiner must not change the answer")
		})
	}
}

func TestSpillStats(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	text := randomText(3, 2000)
	require.NoError(t, os.WriteFile(in, []byte(text), 0o644))
	combining := words
	combining.Combine = sum
	id := task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}
	_, _, stats, err := mapAttempt{app: combining, dir: dir, id: id, input: task.WholeFile(in), nReduce: 2, sortBuffer: 4 << 10}.write(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(len(text)), stats.inputBytes)
	require.Equal(t, int64(2000), stats.outputRecords)
	require.Greater(t, stats.spills, int64(1))
	distinct := map[string]bool{}
	for _, w := range strings.Fields(text) {
		distinct[w] = true
	}
	require.Equal(t, int64(len(distinct)), stats.writtenRecords, "combined output: one record per key")
}

func TestReduceMergesManyFilesInBatches(t *testing.T) {
	inputs := make([]string, filemerge.MaxFanIn*2+3)
	for i := range inputs {
		inputs[i] = randomText(uint64(i), 20)
	}
	all := strings.Join(inputs, " ")
	want := runJob(t, words, DefaultSortBuffer, 1, all)
	require.Equal(t, want, runJob(t, words, DefaultSortBuffer, 1, inputs...))
}

func TestSplitsCoverEveryLineOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in")
	text := "alpha beta\ngamma\n\ndelta epsilon zeta\neta\ntheta iota kappa lambda\nmu"
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	for size := int64(1); size <= int64(len(text))+1; size++ {
		var parts []string
		for off := int64(0); off < int64(len(text)); off += size {
			s, err := readInput(context.Background(), nil, task.Input{Path: path, Offset: off, Length: min(size, int64(len(text))-off)})
			require.NoError(t, err)
			parts = append(parts, s)
		}
		require.Equal(t, text, strings.Join(parts, ""), "split size %d", size)
	}
	whole, err := readInput(context.Background(), nil, task.WholeFile(path))
	require.NoError(t, err)
	require.Equal(t, text, whole)
	_, err = readInput(context.Background(), nil, task.WholeFile(filepath.Join(dir, "missing")))
	require.ErrorContains(t, err, "missing")
}
