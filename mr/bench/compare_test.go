package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/bench/baseline"
)

func TestWriteAndReadOutputs(t *testing.T) {
	dir := t.TempDir()
	counts := map[string]int{"b": 2, "a": 10, "café": 1, "B": 3}
	p := filepath.Join(dir, "mr-out-0")
	require.NoError(t, baseline.WriteCounts(p, counts))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, "B 3\na 10\nb 2\ncafé 1\n", string(data))
	got, err := readOutputs([]string{p})
	require.NoError(t, err)
	require.Equal(t, countsToOutput(counts), got)
	require.NoError(t, compareOutputs(countsToOutput(counts), got))
}

func TestOutputUnion(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mr-out-0"), []byte("a 1\nc 3\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mr-out-1"), []byte("b 2\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mr-out-2"), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other"), []byte("z 9\n"), 0o644))
	paths, err := outputFiles(dir)
	require.NoError(t, err)
	got, err := readOutputs(paths)
	require.NoError(t, err)
	require.NoError(t, compareOutputs(map[string]string{"a": "1", "b": "2", "c": "3"}, got))

	_, err = outputFiles(t.TempDir())
	require.ErrorContains(t, err, "no mr-out-*")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "mr-out-3"), []byte("a 1\n"), 0o644))
	paths, err = outputFiles(dir)
	require.NoError(t, err)
	_, err = readOutputs(paths)
	require.ErrorContains(t, err, `key "a" appears twice`)

	bad := filepath.Join(t.TempDir(), "mr-out-0")
	require.NoError(t, os.WriteFile(bad, []byte("novalue\n"), 0o644))
	_, err = readOutputs([]string{bad})
	require.ErrorContains(t, err, "not a \"key value\" line")
}

func TestCompareOutputs(t *testing.T) {
	want := map[string]string{"a": "1", "b": "2", "c": "3", "d": "4"}
	got := map[string]string{"a": "1", "b": "20", "e": "5"}
	err := compareOutputs(want, got)
	require.Error(t, err)
	require.Contains(t, err.Error(), `2 keys missing ("c", "d")`)
	require.Contains(t, err.Error(), `1 keys unexpected ("e" (5))`)
	require.Contains(t, err.Error(), `1 keys with a different count ("b": want 2, got 20)`)
}
