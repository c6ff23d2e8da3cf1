package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// testPrefix stands for the caller's prefix of temporary names.
const testPrefix = ".test-tmp-"

// TestTempNameStartsWithThePrefixOnce: the temporary file of "out" is the
// prefix, the name and "-tmp"; a name that already starts with the prefix
// is not prefixed twice; a second writer of the same path gets a name of
// its own, still with the prefix.
func TestTempNameStartsWithThePrefixOnce(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, temp string }{
		{"out", testPrefix + "out-tmp"},
		{testPrefix + "scratch", testPrefix + "scratch-tmp"},
	} {
		f, err := Create(filepath.Join(dir, c.name), Volatile, testPrefix)
		require.NoError(t, err)
		_, err = os.Stat(filepath.Join(dir, c.temp))
		require.NoError(t, err, "temporary file of %s", c.name)
		second, err := Create(filepath.Join(dir, c.name), Volatile, testPrefix)
		require.NoError(t, err)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		require.Len(t, entries, 2, "two writers of %s", c.name)
		for _, e := range entries {
			require.True(t, strings.HasPrefix(e.Name(), c.temp[:len(c.temp)-len("tmp")]), "got %s; want %s and a suffix", e.Name(), c.temp)
		}
		f.Abort()
		second.Abort()
	}
}

func TestNothingVisibleUntilCommit(t *testing.T) {
	for _, d := range []Durability{Durable, Volatile} {
		dir := t.TempDir()
		path := filepath.Join(dir, "out")
		f, err := Create(path, d, testPrefix)
		require.NoError(t, err)
		_, err = f.WriteString("hello\n")
		require.NoError(t, err)
		_, err = os.Stat(path)
		require.True(t, os.IsNotExist(err), "file visible before Commit")

		require.NoError(t, f.Commit())
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Equal(t, "hello\n", string(data))
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(fileMode), info.Mode().Perm(), "committed files are readable like any other")
		f.Abort() // after Commit: a no-op
		entries, _ := os.ReadDir(dir)
		require.Len(t, entries, 1, "temp file left behind")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "out"), []byte("old"), 0o644))
	f, err := Create(filepath.Join(dir, "out"), Durable, testPrefix)
	require.NoError(t, err)
	_, err = f.WriteString("new")
	require.NoError(t, err)
	f.Abort()
	entries, _ := os.ReadDir(dir)
	require.Len(t, entries, 1)
	data, _ := os.ReadFile(filepath.Join(dir, "out"))
	require.Equal(t, "old", string(data), "Abort must not touch the existing file")
}

func TestCreateInMissingDir(t *testing.T) {
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "out"), Durable, testPrefix)
	require.ErrorContains(t, err, "out")
}

func TestCreateInPlace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out")
	f, err := CreateInPlace(path, Volatile)
	require.NoError(t, err)
	_, err = f.WriteString("hello")
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "hello", string(data))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file")

	g, err := CreateInPlace(path, Volatile)
	require.NoError(t, err)
	g.Abort()
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "an aborted file is removed: %v", err)
}

// BenchmarkCreateInPlace writes and commits small new files, as a tiny
// map task does once: on most disks the cost is the file system's for a
// new file, which bounds the rate of tiny tasks. The folder is $TMPDIR's
// file system (go test's temporary folder), so that setting TMPDIR picks
// the disk measured.
func BenchmarkCreateInPlace(b *testing.B) {
	dir := b.TempDir()
	payload := make([]byte, 300)
	n := 0
	for b.Loop() {
		f, err := CreateInPlace(filepath.Join(dir, fmt.Sprintf("f%d", n)), Volatile)
		if err != nil {
			b.Fatal(err)
		}
		n++
		if _, err := f.Write(payload); err != nil {
			b.Fatal(err)
		}
		if err := f.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
