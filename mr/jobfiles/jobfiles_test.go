package jobfiles

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/task"
)

func mapAttempt(m, a int) task.AttemptID {
	return task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: a}
}

func reduceAttempt(r, a int) task.AttemptID {
	return task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: r}, Attempt: a}
}

func TestNamesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	add := func(name string) {
		require.False(t, seen[name], "%s named twice", name)
		seen[name] = true
	}
	for m := range 12 {
		for a := 1; a < 12; a++ {
			add(Intermediate(m, a))
			add(Segment(m, a))
			add(StagedOutput(m, a))
			add(MergeRun(m, a, 0))
			add(Spill(m, a, 0))
			for r := range 12 {
				add(SpillMerge(m, a, r, 0))
			}
		}
	}
	require.Equal(t, "mr-out-7", Output(7))
}

func TestOwner(t *testing.T) {
	tests := []struct {
		name         string
		id           task.AttemptID
		intermediate bool
		ok           bool
	}{
		{Intermediate(3, 1002), mapAttempt(3, 1002), true, true},
		{Segment(3, 1002), mapAttempt(3, 1002), true, true},
		{Segment(3, 2) + "x", task.AttemptID{}, false, false},
		{"mr-seg-r3-a1", task.AttemptID{}, false, false}, // map attempts only
		{Spill(3, 2, 1), mapAttempt(3, 2), false, true},
		{SpillMerge(3, 2, 1, 0), mapAttempt(3, 2), false, true},
		{MergeRun(4, 7, 2), reduceAttempt(4, 7), false, true},
		{StagedOutput(4, 7), reduceAttempt(4, 7), false, true},
		{TempPrefix + Intermediate(5, 1) + "-123456", mapAttempt(5, 1), false, true}, // being written
		{StagedOutput(4, 7) + "-98765", reduceAttempt(4, 7), false, true},            // being written
		{TempPrefix + Intermediate(5, 1) + "-tmp", mapAttempt(5, 1), false, true},    // being written
		{StagedOutput(4, 7) + "-tmp", reduceAttempt(4, 7), false, true},              // being written
		{Intermediate(3, 1) + "x", task.AttemptID{}, false, false},
		{Output(3), task.AttemptID{}, false, false},
		{Journal, task.AttemptID{}, false, false},
		{"pg-grimm.txt", task.AttemptID{}, false, false},
		{"mr-im-r3-a1", task.AttemptID{}, false, false}, // map outputs only
		{TempPrefix + "mr-out-3-123", task.AttemptID{}, false, false},
		{TempPrefix + "x", task.AttemptID{}, false, false},
		{"mr-im-m-a1", task.AttemptID{}, false, false},
		{"mr-im-m1-a", task.AttemptID{}, false, false},
	}
	for _, tt := range tests {
		id, im, ok := Owner(tt.name)
		require.Equal(t, tt.ok, ok, tt.name)
		require.Equal(t, tt.id, id, tt.name)
		require.Equal(t, tt.intermediate, im, tt.name)
	}
}

func list(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func TestRemoveOwnedFollowsTheList(t *testing.T) {
	dir := t.TempDir()
	ours := []string{Intermediate(0, 1), Spill(0, 1, 0), StagedOutput(1, 2), TempPrefix + Intermediate(2, 1) + "-77"}
	others := []string{Output(0), Output(1), "input.txt", Journal, Intermediate(9, 1), TempPrefix + "x"}
	for _, name := range append(slices.Clone(ours), others...) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	begun := map[task.AttemptID]bool{mapAttempt(0, 1): true, reduceAttempt(1, 2): true, mapAttempt(2, 1): true}
	require.NoError(t, RemoveOwned(dir, func(id task.AttemptID, _ bool) bool { return begun[id] }))
	want := slices.Clone(others)
	slices.Sort(want)
	require.Equal(t, want, list(t, dir), "only files of the listed attempts may go")
}

func TestRemoveOutputsOnlyTheGivenOnes(t *testing.T) {
	dir := t.TempDir()
	for r := range 3 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, Output(r)), nil, 0o644))
	}
	require.NoError(t, RemoveOutputs(dir, []int{1, 5}))
	require.Equal(t, []string{Output(0), Output(2)}, list(t, dir))
}

func TestStaleOutputs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{Output(0), Output(9), Output(10), Output(12), "mr-out-010", "mr-out-x", "mr-out-3.bak"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	stale, err := StaleOutputs(dir, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"mr-out-010", Output(10), Output(12), "mr-out-3.bak", "mr-out-x"}, stale)
}

func TestInOutputOrderSortsReduceOutputsByNumber(t *testing.T) {
	got := InOutputOrder([]string{"d/mr-out-10", "d/mr-out-2", "other", "d/mr-out-0", "mr-out-x", "d/mr-out-1"})
	want := []string{"d/mr-out-0", "d/mr-out-1", "d/mr-out-2", "d/mr-out-10", "other", "mr-out-x"}
	if !slices.Equal(got, want) {
		t.Errorf("InOutputOrder = %q; want %q", got, want)
	}
	for _, name := range []string{"mr-out-01", "mr-out--1", "mr-out-"} {
		if _, ok := OutputIndex(name); ok {
			t.Errorf("OutputIndex(%q) accepted it", name)
		}
	}
}
