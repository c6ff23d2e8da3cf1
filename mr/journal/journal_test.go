package journal

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/task"
)

func commit(kind task.Kind, index, attempt int) Commit {
	return Commit{Attempt: task.AttemptID{Task: task.ID{Kind: kind, Index: index}, Attempt: attempt}}
}

func TestReplayAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, state, err := Open(path, "job-1")
	require.NoError(t, err)
	require.Equal(t, State{}, state)
	require.NoError(t, j.Commit(commit(task.Map, 0, 1)))
	counted := commit(task.Map, 2, 3)
	counted.Counters = map[string]int64{"lines": 7}
	require.NoError(t, j.Commit(counted))
	skipped := commit(task.Map, 1, 5)
	skipped.Skipped = true
	require.NoError(t, j.Commit(skipped))
	require.NoError(t, j.Close())

	j, state, err = Open(path, "job-1")
	require.NoError(t, err)
	require.Equal(t, 1, state.Starts)
	require.Equal(t, []Commit{commit(task.Map, 0, 1), counted, skipped}, state.Commits)
	require.NoError(t, j.Commit(commit(task.Reduce, 0, 1)))
	require.NoError(t, j.Close())

	_, state, err = Open(path, "job-1")
	require.NoError(t, err)
	require.Equal(t, 2, state.Starts)
	require.Len(t, state.Commits, 4)
}

func TestTornLastLineIsDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job")
	require.NoError(t, err)
	require.NoError(t, j.Commit(commit(task.Map, 0, 1)))
	require.NoError(t, j.Close())
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"kind":1,"ta`) // crash in mid-write
	require.NoError(t, err)
	require.NoError(t, f.Close())

	j, state, err := Open(path, "job")
	require.NoError(t, err)
	require.Equal(t, []Commit{commit(task.Map, 0, 1)}, state.Commits)
	require.NoError(t, j.Commit(commit(task.Map, 1, 1)))
	require.NoError(t, j.Close())
	_, state, err = Open(path, "job")
	require.NoError(t, err, "appending after a torn line must leave a clean journal")
	require.Len(t, state.Commits, 2)
}

func TestOtherJobIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job-a")
	require.NoError(t, err)
	require.NoError(t, j.Close())
	_, _, err = Open(path, "job-b")
	require.ErrorIs(t, err, ErrOtherJob)
	require.ErrorContains(t, err, path)
}

func TestDamagedLineIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	require.NoError(t, os.WriteFile(path, []byte("{\"job\":\"x\"}\nnot json\n{\"start\":1}\n"), 0o644))
	_, _, err := Open(path, "x")
	require.ErrorContains(t, err, "line 2")
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(a, []byte("one"), 0o644))
	f1, err := Fingerprint([]string{a}, "n=10")
	require.NoError(t, err)
	f2, _ := Fingerprint([]string{a}, "n=10")
	require.Equal(t, f1, f2)
	f3, _ := Fingerprint([]string{a}, "n=3")
	require.NotEqual(t, f1, f3, "the shape must count")
	require.NoError(t, os.WriteFile(a, []byte("longer"), 0o644))
	f4, _ := Fingerprint([]string{a}, "n=10")
	require.NotEqual(t, f1, f4, "changed input must count")
	_, err = Fingerprint([]string{filepath.Join(dir, "missing")}, "n=10")
	require.ErrorContains(t, err, "missing")
}

func TestConcurrentCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { require.NoError(t, j.Commit(commit(task.Map, i, 1))) })
	}
	wg.Wait()
	require.NoError(t, j.Close())
	_, state, err := Open(path, "job")
	require.NoError(t, err)
	require.Len(t, state.Commits, 50)
}
