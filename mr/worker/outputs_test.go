package worker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

func TestHeldOutputsServeOnlyWhatMayHaveCommitted(t *testing.T) {
	dir := t.TempDir()
	h := newHeldOutputs(dir)
	attempt := func(m, a int) task.AttemptID {
		return task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: a}
	}
	for _, id := range []task.AttemptID{attempt(0, 1), attempt(1, 1), attempt(2, 1)} {
		require.NoError(t, os.WriteFile(h.path(id), nil, 0o644))
	}
	h.add(attempt(0, 1), true)
	h.add(attempt(1, 1), false) // its report went unanswered

	path, ok := h.Lookup(0, 1)
	require.True(t, ok)
	require.Equal(t, filepath.Join(dir, jobfiles.Intermediate(0, 1)), path)
	_, ok = h.Lookup(1, 1)
	require.True(t, ok, "an output of unknown fate may be the committed one after a restart")
	for _, id := range [][2]int{{2, 1}, {0, 2}, {-1, 1}} {
		_, ok = h.Lookup(id[0], id[1])
		require.False(t, ok, "map %d attempt %d was never recorded", id[0], id[1])
	}

	h.removeAll()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the unrecorded file may stay")
	require.Equal(t, jobfiles.Intermediate(2, 1), entries[0].Name())
	_, ok = h.Lookup(0, 1)
	require.False(t, ok)
}
