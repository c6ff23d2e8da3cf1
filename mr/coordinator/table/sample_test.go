package table

import (
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/task"
)

func sampleAttempt(i, n int) task.AttemptID {
	return task.AttemptID{Task: task.ID{Kind: task.Sample, Index: i}, Attempt: n}
}

// commitSample commits attempt id of worker with keys.
func commitSample(t *testing.T, tb *Table, worker int, id task.AttemptID, keys ...string) {
	t.Helper()
	require.Equal(t, DecisionCommitting, tb.BeginCommit(worker, id))
	tb.EndCommit(Commit{Attempt: id, Keys: keys}, nil, t0)
}

func TestSamplingPhaseComesFirstAndHoldsMapsUntilSplitsAreDurable(t *testing.T) {
	inputs := inputsOf("a", "b", "c")
	tb := NewSampled(inputs, inputsOf("a", "c"), 3, testPolicy(), t0)
	require.True(t, tb.Sampling())

	first, second := mustAssign(t, tb, 1, t0), mustAssign(t, tb, 2, t0)
	require.Equal(t, sampleAttempt(0, 1), first.Attempt)
	require.Equal(t, sampleAttempt(1, 1), second.Attempt)
	require.Equal(t, "c", second.Input.Path)
	_, ok := tb.Assign(3, t0)
	require.False(t, ok, "no map task while sampling")

	commitSample(t, tb, 1, first.Attempt, "m", "a", "z", "m")
	require.False(t, tb.TakeChanges().SplitsPicked, "one sample of two is not enough")
	commitSample(t, tb, 2, second.Attempt, "b", "y", "n", "c")
	require.False(t, tb.Sampling())
	changes := tb.TakeChanges()
	require.True(t, changes.SplitsPicked)
	require.Equal(t, []string{"c", "n"}, changes.Splits, "two split points cut eight keys into three")
	_, durable := tb.Splits()
	require.False(t, durable)
	_, ok = tb.Assign(3, t0)
	require.False(t, ok, "no map task before the split points are durable")

	tb.SplitsDurable(t0)
	splits, durable := tb.Splits()
	require.True(t, durable)
	require.Equal(t, changes.Splits, splits)
	require.Equal(t, mapAttempt(0, 1), mustAssign(t, tb, 3, t0).Attempt)
	require.Zero(t, tb.Counters()["map_input_bytes"], "a sample's counts are not the job's")
}

func TestFailedSampleIsRetriedThenFailsTheJobNamingItsInput(t *testing.T) {
	tb := NewSampled(inputsOf("a", "bad"), inputsOf("bad"), 2, testPolicy(), t0)
	for n := 1; n <= testPolicy().MaxFailures+1; n++ {
		a := mustAssign(t, tb, 1, t0)
		require.Equal(t, sampleAttempt(0, n), a.Attempt)
		require.Equal(t, DecisionFailed, tb.Fail(1, a.Attempt, "Map panicked", t0))
	}
	require.ErrorContains(t, tb.Failure(), "sample-0 (input bad)")
}

func TestSkippedSampleAddsNoKeysAndIsNotJournaled(t *testing.T) {
	p := testPolicy()
	p.MaxFailures, p.SkipBadInputs = 0, true
	tb := NewSampled(inputsOf("a", "bad"), inputsOf("bad"), 2, p, t0)
	a := mustAssign(t, tb, 1, t0)
	tb.Fail(1, a.Attempt, "Map panicked", t0)
	require.NoError(t, tb.Failure())
	changes := tb.TakeChanges()
	require.Empty(t, changes.Skipped, "only map tasks are journaled as skipped")
	require.True(t, changes.SplitsPicked)
	require.Empty(t, changes.Splits, "no keys, no split points: everything goes to one partition")
}

func TestRestoredSplitsSkipSamplingAndKeepCommittedMaps(t *testing.T) {
	tb := NewSampled(inputsOf("a", "b"), inputsOf("a", "b"), 2, testPolicy(), t0)
	tb.RestoreSplits([]string{"k"}, t0)
	require.NoError(t, tb.Restore(1, []Commit{{Attempt: mapAttempt(0, 1)}}, t0))
	require.False(t, tb.Sampling())
	splits, durable := tb.Splits()
	require.True(t, durable)
	require.Equal(t, []string{"k"}, splits)
	a := mustAssign(t, tb, 1, t0)
	require.Equal(t, mapAttempt(1, attemptsPerStart+1), a.Attempt, "only the uncommitted map runs")
	require.False(t, tb.TakeChanges().SplitsPicked, "restored split points are not journaled again")
}
