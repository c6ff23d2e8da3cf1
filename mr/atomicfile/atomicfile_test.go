package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNothingVisibleUntilCommit(t *testing.T) {
	for _, d := range []Durability{Durable, Volatile} {
		dir := t.TempDir()
		path := filepath.Join(dir, "out")
		f, err := Create(path, d)
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
	f, err := Create(filepath.Join(dir, "out"), Durable)
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
	_, err := Create(filepath.Join(t.TempDir(), "no", "such", "out"), Durable)
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
