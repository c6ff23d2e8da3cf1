package filemerge

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/ifile"
	"6.5840/mr/task"
)

// writeSections writes a file of sections at path, section r holding
// sections[r]'s records, which must be sorted.
func writeSections(t *testing.T, path string, sections ...[][2]string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	sw := ifile.NewSectionWriter(f)
	for _, records := range sections {
		w, err := sw.Next()
		require.NoError(t, err)
		for _, rec := range records {
			require.NoError(t, w.Write(rec[0], rec[1]))
		}
	}
	require.NoError(t, sw.Close())
	require.NoError(t, f.Close())
}

// readAll returns every record of m, in order.
func readAll(t *testing.T, m *Merged) [][2]string {
	t.Helper()
	var got [][2]string
	for {
		k, v, err := m.Next()
		if err == io.EOF {
			return got
		}
		require.NoError(t, err)
		got = append(got, [2]string{k, v})
	}
}

// TestBatchesKeepKeyOrderAndInputOrder: more inputs than MaxFanIn are
// merged in batches, yet the stream is sorted by key, equal keys in the
// order of the inputs, and Close removes the batches' scratch files.
func TestBatchesKeepKeyOrderAndInputOrder(t *testing.T) {
	dir := t.TempDir()
	n := 2*MaxFanIn + 3
	inputs := make([]Input, n)
	for i := range inputs {
		path := filepath.Join(dir, fmt.Sprintf("in-%d", i))
		// Section 1 is the one merged; section 0 must be left alone.
		writeSections(t, path, [][2]string{{"a", "wrong section"}},
			[][2]string{{fmt.Sprintf("k%04d", n-i), "only"}, {"same", fmt.Sprint(i)}})
		inputs[i] = Input{Path: path, Section: 1}
	}
	scratch := filepath.Join(dir, "scratch")
	require.NoError(t, os.Mkdir(scratch, 0o755))
	m, err := Open(inputs, func(k int) string { return filepath.Join(scratch, fmt.Sprint(k)) })
	require.NoError(t, err)
	entries, err := os.ReadDir(scratch)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "no batch was merged")
	got := readAll(t, m)
	m.Close()

	require.Len(t, got, 2*n)
	for i := 1; i < n; i++ {
		require.Less(t, got[i-1][0], got[i][0], "keys out of order at %d", i)
	}
	for i, rec := range got[n:] {
		require.Equal(t, [2]string{"same", fmt.Sprint(i)}, rec, "equal keys out of input order")
	}
	entries, err = os.ReadDir(scratch)
	require.NoError(t, err)
	require.Empty(t, entries, "scratch files left after Close")
}

// TestErrorsOfAMapOutputNameIt: an input with an Owner that cannot be
// read is a LostError naming the owner, whether it is missing or its
// section damaged; a file without one is a plain error.
func TestErrorsOfAMapOutputNameIt(t *testing.T) {
	dir := t.TempDir()
	owner := task.AttemptID{Task: task.ID{Kind: task.Map, Index: 3}, Attempt: 2}
	_, err := Open([]Input{{Path: filepath.Join(dir, "missing"), Section: 0, Owner: owner}}, nil)
	var lost *LostError
	require.ErrorAs(t, err, &lost)
	require.Equal(t, owner, lost.Map)
	require.ErrorIs(t, err, os.ErrNotExist)
	require.Contains(t, err.Error(), "output of map-3.2 lost")

	_, err = Open([]Input{{Path: filepath.Join(dir, "missing"), Section: -1}}, nil)
	require.Error(t, err)
	require.False(t, errors.As(err, &lost), "a scratch file's error is a lost map output: %v", err)

	damaged := filepath.Join(dir, "damaged")
	writeSections(t, damaged, [][2]string{{"a", "1"}, {"b", "2"}})
	data, err := os.ReadFile(damaged)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(damaged, data[:len(data)/2], 0o644))
	_, err = Open([]Input{{Path: damaged, Section: 0, Owner: owner}}, nil)
	require.ErrorAs(t, err, &lost)
	require.Equal(t, owner, lost.Map)
}
