package sequential

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	in1, in2 := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, os.WriteFile(in1, []byte("x y x"), 0o644))
	require.NoError(t, os.WriteFile(in2, []byte("y z"), 0o644))
	count := app.App{
		Map: func(_, contents string) []mr.KeyValue {
			var kvs []mr.KeyValue
			for _, w := range strings.Fields(contents) {
				kvs = append(kvs, mr.KeyValue{Key: w, Value: "1"})
			}
			return kvs
		},
		Reduce: func(_ string, values []string) string { return strconv.Itoa(len(values)) },
	}
	out := filepath.Join(dir, "mr-out-0")
	require.NoError(t, Run(count, []string{in1, in2}, out))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "x 2\ny 2\nz 1\n", string(data))

	err = Run(count, []string{filepath.Join(dir, "missing")}, out)
	require.ErrorContains(t, err, "missing")
}

func TestRunHonoursMapEmit(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(in, []byte("x y x"), 0o644))
	emitting := app.App{
		MapEmit: func(_, contents string, emit func(key, value string)) {
			for _, w := range strings.Fields(contents) {
				emit(w, "1")
			}
		},
		Map:    func(string, string) []mr.KeyValue { panic("Map called beside MapEmit") },
		Reduce: func(_ string, values []string) string { return strconv.Itoa(len(values)) },
	}
	out := filepath.Join(dir, "mr-out-0")
	require.NoError(t, Run(emitting, []string{in}, out))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "x 2\ny 1\n", string(data))
}

func TestRunTasks(t *testing.T) {
	dir := t.TempDir()
	in1, in2 := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, os.WriteFile(in1, []byte("x y x"), 0o644))
	require.NoError(t, os.WriteFile(in2, []byte("y z"), 0o644))
	failed := errors.New("mapper exited with status 1")
	tasks := app.App{
		MapTask: func(_ context.Context, at app.Attempt, contents string, emit func(key, value string)) error {
			if strings.Contains(contents, "fail") {
				return failed
			}
			for _, w := range strings.Fields(contents) {
				emit(w, at.ID+":"+filepath.Base(at.Input))
			}
			return nil
		},
		// Writes every record as it comes, then the attempt: the output
		// is the reduce task's, as it is.
		ReduceTask: func(_ context.Context, at app.Attempt, in app.Records, out io.Writer) error {
			for {
				k, v, err := in.Next()
				if err == io.EOF {
					_, err = fmt.Fprintf(out, "%s %d/%d\n", at.ID, at.Partition, at.NReduce)
					return err
				}
				fmt.Fprintf(out, "%s<%s>\n", k, v)
			}
		},
	}
	out := filepath.Join(dir, "mr-out-0")
	require.NoError(t, Run(tasks, []string{in1, in2}, out))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "x<map-0.0:a>\nx<map-0.0:a>\ny<map-0.0:a>\ny<map-1.0:b>\nz<map-1.0:b>\nreduce-0.0 0/1\n", string(data))

	require.NoError(t, os.WriteFile(in2, []byte("fail"), 0o644))
	require.ErrorIs(t, Run(tasks, []string{in1, in2}, out), failed)
}
