package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/app"
	"6.5840/mr/streaming"
	"6.5840/mr/task"
)

// taskWords is an application with task-level entry points, as a streaming
// one has: MapTask emits (word, input) and ReduceTask writes every record
// it reads as "key=value", followed by a line naming the attempt.
var taskWords = app.App{
	MapTask: func(_ context.Context, at app.Attempt, contents string, emit func(key, value string)) error {
		for _, w := range strings.Fields(contents) {
			emit(w, filepath.Base(at.Input)+"@"+at.ID)
		}
		return nil
	},
	ReduceTask: func(_ context.Context, at app.Attempt, in app.Records, out io.Writer) error {
		for {
			k, v, err := in.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s=%s\n", k, v)
		}
		_, err := fmt.Fprintf(out, "end of %s %d/%d\n", at.ID, at.Partition, at.NReduce)
		return err
	},
}

func TestTaskEntryPoints(t *testing.T) {
	dir := t.TempDir()
	attempts := runMaps(t, taskWords, dir, 1, "b a", "a c a")
	require.Equal(t, "a=ina@map-0.1\na=inb@map-1.1\na=inb@map-1.1\nb=ina@map-0.1\nc=inb@map-1.1\nend of reduce-0.1 0/1\n",
		runReduces(t, taskWords, dir, 1, attempts))
}

func TestReduceTaskCounts(t *testing.T) {
	dir := t.TempDir()
	attempts := runMaps(t, taskWords, dir, 1, "b a", "a c a")
	id := task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: 0}, Attempt: 1}
	_, stats, err := reduceAttempt{app: taskWords, dir: dir, id: id, nReduce: 1, mapAttempts: attempts, locate: noLocate(t)}.write(context.Background())
	require.NoError(t, err)
	require.Equal(t, reduceStats{groups: 3, records: 6}, stats)
}

func TestMapTaskError(t *testing.T) {
	dir := t.TempDir()
	bad := taskWords
	failed := errors.New("mapper exited with status 3")
	bad.MapTask = func(_ context.Context, _ app.Attempt, _ string, emit func(key, value string)) error {
		emit("a", "1")
		return failed
	}
	in := filepath.Join(dir, "in")
	require.NoError(t, os.WriteFile(in, []byte("x"), 0o644))
	id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: 0}, Attempt: 1}
	at := mapAttempt{app: bad, dir: dir, id: id, input: task.WholeFile(in), nReduce: 1}
	_, _, _, err := at.write(context.Background())
	require.ErrorIs(t, err, failed)
	_, err = os.Stat(at.output())
	require.True(t, os.IsNotExist(err), "a failed attempt left %s", at.output())
}

// TestStreamingCommands runs a job's map and reduce attempts with shell
// commands, in the job's folder.
func TestStreamingCommands(t *testing.T) {
	dir := t.TempDir()
	m, err := streaming.Parse(`sh -c 'tr -s " " "\n"; echo "$MR_TASK"'`)
	require.NoError(t, err)
	r, err := streaming.Parse(`awk -F '\t' '$1 != k { if (NR > 1) print k, n; k = $1; n = 0 } { n++ } END { print k, n; print ENVIRON["MR_PARTITION"] }'`)
	require.NoError(t, err)
	a := (&streaming.App{Mapper: m, Reducer: r}).App()
	attempts := runMaps(t, a, dir, 1, "b a\n", "a c a\n")
	require.Equal(t, "a 3\nb 1\nc 1\nmap-0 1\nmap-1 1\n0\n", runReduces(t, a, dir, 1, attempts))
}

// sumCombine is a CombineTask that writes each key once, with the number
// of its values; emitKey, if set, replaces the key it writes.
func sumCombine(emitKey func(key string) string) app.CombineTaskFunc {
	return func(_ context.Context, _ app.Attempt, in app.Records, emit func(key, value string)) error {
		var key string
		n := 0
		for {
			k, _, err := in.Next()
			if err != nil && err != io.EOF {
				return err
			}
			if n > 0 && (err == io.EOF || k != key) {
				out := key
				if emitKey != nil {
					out = emitKey(key)
				}
				emit(out, fmt.Sprint(n))
				n = 0
			}
			if err == io.EOF {
				return nil
			}
			key = k
			n++
		}
	}
}

func TestCombineTask(t *testing.T) {
	dir := t.TempDir()
	a := taskWords
	a.CombineTask = sumCombine(nil)
	attempts := runMaps(t, a, dir, 2, "b a a", "a c a")
	require.Equal(t, "a=2\na=2\nb=1\nc=1\nend of reduce-0.1 0/2\nend of reduce-1.1 1/2\n",
		sortedLines(runReduces(t, a, dir, 2, attempts)))
}

// sortedLines returns the lines of s, sorted.
func sortedLines(s string) string {
	lines := strings.SplitAfter(s, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "")
}

func TestCombineTaskBreakingOrder(t *testing.T) {
	tests := []struct {
		name    string
		emitKey func(string) string
		want    string
	}{
		{"out of order", func(k string) string { return string(rune('z' - k[0] + 'a')) }, "out of order"},
		{"renamed keys out of order", func(k string) string { return k + "!" }, "out of order"},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		a := taskWords
		a.CombineTask = sumCombine(tt.emitKey)
		in := filepath.Join(dir, "in")
		require.NoError(t, os.WriteFile(in, []byte("a b c d e f g h"), 0o644))
		id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: 0}, Attempt: 1}
		nReduce := 1
		if tt.name == "renamed keys out of order" {
			nReduce = 4
		}
		_, _, _, err := mapAttempt{app: a, dir: dir, id: id, input: task.WholeFile(in), nReduce: nReduce}.write(context.Background())
		require.ErrorContains(t, err, tt.want, tt.name)
	}
}
