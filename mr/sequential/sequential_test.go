package sequential

import (
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
