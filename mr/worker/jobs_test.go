package worker

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/filemerge"
	"6.5840/mr/ifile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
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
		_, _, _, err := mapAttempt{app: a, dir: dir, id: id, input: task.WholeFile(in), nReduce: nReduce}.write(context.Background())
		require.NoError(t, err)
		attempts[m] = 1
	}
	return attempts
}

// runReduces runs every reduce task, attempt 1, renames each staged
// output to mr-out-R as the coordinator does at commit, and returns the
// outputs' contents.
func runReduces(t *testing.T, a app.App, dir string, nReduce int, mapAttempts []int) string {
	t.Helper()
	var all []string
	for r := range nReduce {
		id := task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: r}, Attempt: 1}
		at := reduceAttempt{app: a, dir: dir, id: id, nReduce: nReduce, mapAttempts: mapAttempts, locate: noLocate(t)}
		files, _, err := at.write(context.Background())
		require.NoError(t, err)
		require.Equal(t, []string{at.staged()}, files)
		require.NoError(t, os.Rename(at.staged(), filepath.Join(dir, jobfiles.Output(r))))
		data, err := os.ReadFile(filepath.Join(dir, jobfiles.Output(r)))
		require.NoError(t, err)
		all = append(all, string(data))
	}
	return strings.Join(all, "")
}

// noLocate is a locate that fails the test: every map output is there.
func noLocate(t *testing.T) locateFunc {
	return func(_ context.Context, lost []protocol.LostOutput, want []int) (protocol.MapOutputsReply, error) {
		t.Errorf("unexpected MapOutputs call: lost %v, want %v", lost, want)
		return protocol.MapOutputsReply{Revoked: true}, nil
	}
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
	require.Equal(t, []string{"a"}, combined, "Combine runs on keys with values to combine, not on b's one value")
	require.Equal(t, "a 0+1\nb 2\n", runReduces(t, a, dir, 2, attempts))
}

func TestBadPartitionIsAnError(t *testing.T) {
	a := letters
	a.Partition = func(string, int) int { return 7 }
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("x"), 0o644))
	_, _, _, err := mapAttempt{app: a, dir: dir, id: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, input: task.WholeFile(in), nReduce: 2}.write(context.Background())
	require.ErrorContains(t, err, `Partition("x", 2) returned 7`)
}

func TestPanicsBecomeErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("x"), 0o644))
	a := letters
	a.Map = func(string, string) []mr.KeyValue { panic("bad record 17") }
	_, _, _, err := mapAttempt{app: a, dir: dir, id: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, input: task.WholeFile(in), nReduce: 1}.write(context.Background())
	require.ErrorContains(t, err, "Map panicked: bad record 17")

	attempts := runMaps(t, letters, dir, 1, "x")
	a = letters
	a.Reduce = func(string, []string) string { panic("reduce boom") }
	at := reduceAttempt{app: a, dir: dir, id: task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}, mapAttempts: attempts, locate: noLocate(t)}
	files, _, err := at.write(context.Background())
	require.ErrorContains(t, err, "Reduce panicked: reduce boom")
	require.Empty(t, files)
	_, statErr := os.Stat(at.staged())
	require.True(t, os.IsNotExist(statErr), "a failed reduce left a staged output")
}

func TestCombinePanicInTheFinalSpillIsAnError(t *testing.T) {
	dir := t.TempDir()
	a := letters
	a.Combine = func(key string, values []string) string { return values[0] }
	out := newMapCollector(a, 2, 256, filepath.Join(dir, "out"),
		func(n int) string { return filepath.Join(dir, jobfiles.Spill(0, 1, n)) },
		func(r, n int) string { return filepath.Join(dir, jobfiles.SpillMerge(0, 1, r, n)) }, nil)
	require.NoError(t, out.add(letters.Map("in", strings.Repeat("abcdefgh", 200)+"abc")))
	require.False(t, out.buf.Empty(), "some output must wait for the final spill")
	require.Positive(t, out.stats.spills, "the buffer must have spilled for this test to mean anything")
	out.app.Combine = func(string, []string) string { panic("combine boom") }
	file, err := out.finish()
	require.ErrorContains(t, err, "Combine panicked: combine boom")
	require.Nil(t, file)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "spill files left behind")
}

// TestTheLastRunJoinsTheMergeFromMemory: an attempt that spilled merges
// what its buffer holds at the end straight from memory, not as one spill
// more, and the output holds every pair, each key's values in emission
// order.
func TestTheLastRunJoinsTheMergeFromMemory(t *testing.T) {
	dir := t.TempDir()
	const nReduce = 2
	out := newMapCollector(letters, nReduce, 256, filepath.Join(dir, "out"),
		func(n int) string { return filepath.Join(dir, jobfiles.Spill(0, 1, n)) },
		func(r, n int) string { return filepath.Join(dir, jobfiles.SpillMerge(0, 1, r, n)) }, nil)
	pairs := letters.Map("in", strings.Repeat("abcdefgh", 200)+"abc")
	require.NoError(t, out.add(pairs))
	require.False(t, out.buf.Empty(), "some output must be left for the last run")
	spills := out.stats.spills
	require.Positive(t, spills, "the buffer must have spilled for this test to mean anything")

	file, err := out.finish()
	require.NoError(t, err)
	require.Equal(t, spills, out.stats.spills, "the last run is not spilled")
	require.NoError(t, file.Commit())

	want := make([]map[string][]string, nReduce)
	for _, kv := range pairs {
		r := mr.Hash(kv.Key) % nReduce
		if want[r] == nil {
			want[r] = map[string][]string{}
		}
		want[r][kv.Key] = append(want[r][kv.Key], kv.Value)
	}
	f, err := os.Open(filepath.Join(dir, "out"))
	require.NoError(t, err)
	defer f.Close()
	info, err := f.Stat()
	require.NoError(t, err)
	for r := range nReduce {
		rd, err := ifile.OpenSection(f, info.Size(), "out", r)
		require.NoError(t, err)
		got := map[string][]string{}
		last := ""
		for {
			k, v, err := rd.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err)
			require.LessOrEqual(t, last, k, "partition %d in key order", r)
			last = k
			got[k] = append(got[k], v)
		}
		require.Equal(t, want[r], got, "partition %d", r)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the output is left: %v", entries)
}

// TestAttemptEndedDuringMapWritesNoOutput: an attempt that ends while Map
// runs (revoked, or given up on as stuck) does not even start writing its
// output once Map returns.
func TestAttemptEndedDuringMapWritesNoOutput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("abc"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	ending := letters
	ending.Map = func(name, contents string) []mr.KeyValue {
		cancel()
		return letters.Map(name, contents)
	}
	at := mapAttempt{app: ending, dir: dir, id: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, input: task.WholeFile(in), nReduce: 2}
	files, _, stats, err := at.write(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, files)
	require.Zero(t, stats.outputBytes, "bytes were written for an attempt that had ended")
	require.NoFileExists(t, at.output())
}

func TestCancelledAttemptWritesNothing(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("abc"), 0o644))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, _, err := mapAttempt{app: letters, dir: dir, id: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, input: task.WholeFile(in), nReduce: 2}.write(ctx)
	require.ErrorIs(t, err, context.Canceled)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the input may remain, no temp or intermediate files")
}

// fakeLocator answers MapOutputs calls from a script and records what the
// reduce attempt reported lost.
type fakeLocator struct {
	lost    []protocol.LostOutput
	replies []protocol.MapOutputsReply
}

func (f *fakeLocator) locate(_ context.Context, lost []protocol.LostOutput, want []int) (protocol.MapOutputsReply, error) {
	f.lost = append(f.lost, lost...)
	if len(f.replies) == 0 {
		return protocol.MapOutputsReply{Revoked: true}, nil
	}
	r := f.replies[0]
	f.replies = f.replies[1:]
	return r, nil
}

func TestReduceReportsAMissingOutputAndGoesOnWithItsRerun(t *testing.T) {
	dir := t.TempDir()
	attempts := runMaps(t, letters, dir, 1, "ab", "ca")
	// Map 0's output is lost; its re-run (attempt 2) is there.
	require.NoError(t, os.Rename(filepath.Join(dir, jobfiles.Intermediate(0, 1)), filepath.Join(dir, jobfiles.Intermediate(0, 2))))
	loc := &fakeLocator{replies: []protocol.MapOutputsReply{{Outputs: []protocol.OutputLocation{{Map: 0, Attempt: 2}}}}}
	id := task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}
	at := reduceAttempt{app: letters, dir: dir, id: id, mapAttempts: attempts, locate: loc.locate}
	_, _, err := at.write(context.Background())
	require.NoError(t, err)
	require.Len(t, loc.lost, 1)
	require.Equal(t, task.AttemptID{Task: task.ID{Kind: task.Map, Index: 0}, Attempt: 1}, loc.lost[0].Map)
	require.Contains(t, loc.lost[0].Reason, jobfiles.Intermediate(0, 1))
	data, err := os.ReadFile(at.staged())
	require.NoError(t, err)
	require.Equal(t, "a 0,1\nb 1\nc 0\n", string(data))
}

func TestReduceWaitsForPendingMapsAndYields(t *testing.T) {
	dir := t.TempDir()
	attempts := runMaps(t, letters, dir, 1, "ab")
	attempts[0] = protocol.Pending
	loc := &fakeLocator{replies: []protocol.MapOutputsReply{{}, {Yield: true}}}
	id := task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}
	_, _, err := reduceAttempt{app: letters, dir: dir, id: id, mapAttempts: attempts, locate: loc.locate}.write(context.Background())
	require.ErrorIs(t, err, errYield)
	require.Empty(t, loc.lost)
	require.Empty(t, loc.replies, "the attempt must have asked twice")
}

func TestReduceFindsDamagedOutputs(t *testing.T) {
	tests := []struct {
		name   string
		damage func(data []byte) []byte
		// early: found before any record reaches Reduce (and reported
		// through locate); otherwise found while records stream into it
		// (a filemerge.LostError).
		early bool
	}{
		{"truncated", func(d []byte) []byte { return d[:len(d)-2] }, true},
		{"empty", func(d []byte) []byte { return nil }, true},
		{"flipped byte in the first block", func(d []byte) []byte { d[len(d)/3] ^= 0x40; return d }, true},
		{"flipped byte in a later block", func(d []byte) []byte { d[2*len(d)/3] ^= 0x40; return d }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			text := strings.Repeat("the quick brown fox ", 2000)
			attempts := runMaps(t, letters, dir, 1, text)
			name := filepath.Join(dir, jobfiles.Intermediate(0, attempts[0]))
			data, err := os.ReadFile(name)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(name, tt.damage(data), 0o644))
			var reduced int
			a := letters
			a.Reduce = func(k string, v []string) string { reduced++; return letters.Reduce(k, v) }
			loc := &fakeLocator{}
			id := task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}
			_, _, err = reduceAttempt{app: a, dir: dir, id: id, mapAttempts: attempts, locate: loc.locate}.write(context.Background())
			if tt.early {
				require.ErrorIs(t, err, errRevoked, "the fake coordinator revokes the attempt")
				require.Len(t, loc.lost, 1)
				require.Equal(t, attempts[0], loc.lost[0].Map.Attempt)
				require.Zero(t, reduced)
				return
			}
			var lost *filemerge.LostError
			require.ErrorAs(t, err, &lost)
			require.Equal(t, task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}, lost.Map)
			require.ErrorIs(t, err, ifile.ErrFormat)
			// The damage sits two thirds into the sorted section, in its
			// second block, past the first 5 of its 16 keys; a checksum
			// only at the section's end would let Reduce see 15 first.
			require.Less(t, reduced, 8, "the damaged block must be caught before its records reach Reduce")
		})
	}
}
