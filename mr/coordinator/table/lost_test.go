package table

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/task"
)

// runMaps commits every map task of tb, attempt 1 on worker 1.
func runMaps(t *testing.T, tb *Table, now time.Time) {
	t.Helper()
	for range tb.Maps() {
		a := mustAssign(t, tb, 1, now)
		require.Equal(t, task.Map, a.Attempt.Task.Kind)
		require.Equal(t, DecisionCommitted, complete(tb, 1, a.Attempt, now))
	}
}

func TestLostMapOutputRunsAgainInTheReducePhase(t *testing.T) {
	tb := New(inputsOf("a", "b"), 2, testPolicy(), t0)
	runMaps(t, tb, t0)
	r0 := mustAssign(t, tb, 3, t0)
	r1 := mustAssign(t, tb, 4, t0)
	require.Equal(t, DecisionCommitted, complete(tb, 4, r1.Attempt, t0))

	require.Equal(t, DecisionRerun, tb.LoseOutput(mapAttempt(0, 1), "no such file", t0))
	require.Equal(t, DecisionIgnored, tb.LoseOutput(mapAttempt(0, 1), "reported twice", t0), "a second report changes nothing")
	require.Equal(t, []int{pending, 1}, mapOutputs(tb))
	require.Equal(t, Progress{MapsDone: 1, Maps: 2, ReducesDone: 1, Reduces: 2, ReducesRunning: 1}, tb.Progress())
	require.True(t, tb.IsLive(3, r0.Attempt), "the reduce attempt waiting for the map goes on")
	require.Equal(t, 3*time.Second, tb.MapIdleFor(0, t0.Add(3*time.Second)))

	rerun := mustAssign(t, tb, 5, t0)
	require.Equal(t, mapAttempt(0, 2), rerun.Attempt, "the lost map runs again, before anything else")
	require.Zero(t, tb.MapIdleFor(0, t0))
	require.Equal(t, DecisionCommitted, complete(tb, 5, rerun.Attempt, t0))
	require.Equal(t, []int{2, 1}, mapOutputs(tb))
	require.Equal(t, DecisionCommitted, complete(tb, 3, r0.Attempt, t0))
	require.True(t, tb.Over())
	require.NoError(t, tb.Failure())

	outcomes := map[task.AttemptID]Outcome{}
	for r := range tb.Attempts() {
		outcomes[r.ID] = r.Outcome
	}
	require.Equal(t, OutcomeLost, outcomes[mapAttempt(0, 1)])
	require.Equal(t, OutcomeCommitted, outcomes[mapAttempt(0, 2)])
	require.Equal(t, OutcomeCommitted, outcomes[reduceAttempt(1, 1)], "a committed reduce is left alone")
}

func TestLoseOutputTooOftenFailsTheJobNamingTheInput(t *testing.T) {
	p := testPolicy()
	p.MaxFailures = 1
	p.SkipBadInputs = true // a lost output is not the input's fault: never skipped
	tb := New(inputsOf("pg-grimm.txt"), 1, p, t0)
	runMaps(t, tb, t0)
	mustAssign(t, tb, 2, t0) // the reduce
	require.Equal(t, DecisionRerun, tb.LoseOutput(mapAttempt(0, 1), "checksum mismatch", t0))
	require.False(t, tb.Over())
	again := mustAssign(t, tb, 3, t0)
	require.Equal(t, DecisionCommitted, complete(tb, 3, again.Attempt, t0))
	require.Equal(t, DecisionRerun, tb.LoseOutput(again.Attempt, "checksum mismatch", t0))
	require.True(t, tb.Over())
	require.ErrorContains(t, tb.Failure(), "pg-grimm.txt")
	require.ErrorContains(t, tb.Failure(), "lost")
	require.Empty(t, tb.Skipped())
}

func TestLoseOutputIsStaleForOtherAttempts(t *testing.T) {
	tb := New(inputsOf("a"), 1, testPolicy(), t0)
	a := mustAssign(t, tb, 1, t0)
	require.Equal(t, DecisionIgnored, tb.LoseOutput(a.Attempt, "not committed yet", t0))
	require.Equal(t, DecisionCommitted, complete(tb, 1, a.Attempt, t0))
	require.Equal(t, DecisionIgnored, tb.LoseOutput(mapAttempt(0, 7), "another attempt", t0))
	require.Equal(t, DecisionIgnored, tb.LoseOutput(reduceAttempt(0, 1), "not a map", t0))
	require.Equal(t, DecisionIgnored, tb.LoseOutput(mapAttempt(9, 1), "no such task", t0))
	require.Equal(t, []int{1}, mapOutputs(tb))
}

func TestReleaseIsNotAFailure(t *testing.T) {
	p := testPolicy()
	p.MaxFailures = 0
	tb := New(inputsOf("a"), 1, p, t0)
	runMaps(t, tb, t0)
	for n := 1; n <= 3; n++ {
		r := mustAssign(t, tb, 2, t0)
		require.Equal(t, reduceAttempt(0, n), r.Attempt)
		require.Equal(t, DecisionReleased, tb.Release(2, r.Attempt, "gave way", t0))
		require.False(t, tb.Over(), "release %d failed the job", n)
	}
	require.Equal(t, DecisionIgnored, tb.Release(2, reduceAttempt(0, 3), "again", t0))
}

func TestMaxFailuresZeroFailsAtTheFirstFailure(t *testing.T) {
	p := testPolicy()
	p.MaxFailures = 0
	tb := New(inputsOf("a"), 1, p, t0)
	a := mustAssign(t, tb, 1, t0)
	require.Equal(t, DecisionFailed, tb.Fail(1, a.Attempt, "boom", t0))
	require.True(t, tb.Over())
	require.ErrorContains(t, tb.Failure(), "failed 1 times")
}

func TestJobEndsOnlyOnceTheLastCommitIsDurable(t *testing.T) {
	tb := New(inputsOf("a"), 1, testPolicy(), t0)
	runMaps(t, tb, t0)
	r := mustAssign(t, tb, 1, t0)
	require.Equal(t, DecisionCommitting, tb.BeginCommit(1, r.Attempt))
	require.False(t, tb.Over(), "the job must not end before its last output is durable")
	require.Equal(t, DecisionBusy, tb.BeginCommit(1, r.Attempt))
	tb.EndCommit(Commit{Attempt: r.Attempt}, nil, t0)
	require.True(t, tb.Over())
	require.NoError(t, tb.Failure())
}

func TestFailedCommitRetriesTheTask(t *testing.T) {
	p := testPolicy()
	p.BackupFactor, p.BackupMinAge = 1, time.Second
	tb := New(inputsOf("a", "b"), 1, p, t0)
	b := mustAssign(t, tb, 2, t0)
	a := mustAssign(t, tb, 1, t0)
	require.Equal(t, DecisionCommitted, complete(tb, 2, b.Attempt, t0.Add(time.Second)))
	backup := mustAssign(t, tb, 3, t0.Add(5*time.Second))
	require.True(t, backup.Backup)
	require.Equal(t, a.Attempt.Task, backup.Attempt.Task)

	require.Equal(t, DecisionCommitting, tb.BeginCommit(1, a.Attempt))
	require.Equal(t, DecisionBusy, tb.BeginCommit(3, backup.Attempt), "the backup waits for the commit under way")
	tb.EndCommit(Commit{Attempt: a.Attempt}, errors.New("rename: no such file"), t0.Add(6*time.Second))
	require.False(t, tb.Over())
	require.Equal(t, DecisionCommitted, complete(tb, 3, backup.Attempt, t0.Add(7*time.Second)), "the backup commits instead")
	want := []int{1, 1}
	want[a.Attempt.Task.Index] = backup.Attempt.Attempt
	require.Equal(t, want, mapOutputs(tb))
}

func TestRestoreAfterAMapOutputWasLost(t *testing.T) {
	commits := []Commit{
		{Attempt: mapAttempt(0, 1)},
		{Attempt: reduceAttempt(1, 1)},
	}
	tb := New(inputsOf("a", "b"), 2, testPolicy(), t0)
	require.NoError(t, tb.Restore(1, commits, t0))
	p := tb.Progress()
	require.Equal(t, 1, p.MapsDone, "both commits applied")
	require.Equal(t, 1, p.ReducesDone, "both commits applied")
	require.True(t, tb.Reducing(), "reduces committed, so the reduce phase had begun")
	first := mustAssign(t, tb, 1, t0)
	require.Equal(t, mapAttempt(1, attemptsPerStart+1), first.Attempt, "the missing map runs first")
	second := mustAssign(t, tb, 2, t0)
	require.Equal(t, reduceAttempt(0, attemptsPerStart+1), second.Attempt, "the committed reduce is not run again")
	_, ok := tb.Assign(3, t0)
	require.False(t, ok)
}

func TestDecisionAndOutcomeNamesNeverPanic(t *testing.T) {
	for d := range Decision(20) {
		require.NotEmpty(t, d.String())
	}
	for o := range Outcome(20) {
		require.NotEmpty(t, o.String())
	}
}

// commitOn runs map attempt a of worker to its commit, served by server
// with counters.
func commitOn(t *testing.T, tb *Table, a Assignment, server string, counters map[string]int64, now time.Time) {
	t.Helper()
	require.Equal(t, DecisionCommitting, tb.BeginCommit(a.Worker, a.Attempt))
	tb.EndCommit(Commit{Attempt: a.Attempt, Server: server, Counters: counters}, nil, now)
}

func TestLoseServerRerunsWhatItServed(t *testing.T) {
	const a, b = "10.0.0.1:7001", "10.0.0.2:7001"
	tests := []struct {
		name string
		// servers says where each map task's commit is served.
		servers  []string
		lose     string
		wantLost []task.AttemptID
	}{
		{"one of two servers", []string{a, b, a}, a, []task.AttemptID{mapAttempt(0, 1), mapAttempt(2, 1)}},
		{"a server that served nothing", []string{a, a}, b, nil},
		{"the shared folder is never lost", []string{"", a}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := New(inputsOf(make([]string, len(tt.servers))...), 1, testPolicy(), t0)
			for m, server := range tt.servers {
				commitOn(t, tb, mustAssign(t, tb, m+1, t0), server, map[string]int64{"records": 10}, t0)
			}
			lost := tb.LoseServer(tt.lose, "its worker was lost", t0.Add(time.Second))
			require.Equal(t, tt.wantLost, lost)
			require.Equal(t, len(tt.wantLost), tb.MapsRerun())
			require.Equal(t, int64(10*(len(tt.servers)-len(tt.wantLost))), tb.Counters()["records"],
				"the lost outputs' counts are taken back")
			require.Equal(t, len(tt.servers)-len(tt.wantLost), tb.Progress().MapsDone)
			require.Empty(t, tb.LoseServer(tt.lose, "again", t0.Add(time.Second)), "a second loss changes nothing")

			// The lost maps run again, first, and commit elsewhere.
			for _, id := range tt.wantLost {
				again := mustAssign(t, tb, 9, t0.Add(time.Second))
				require.Equal(t, id.Task, again.Attempt.Task)
				commitOn(t, tb, again, b, map[string]int64{"records": 10}, t0.Add(2*time.Second))
				c, ok := tb.MapCommit(id.Task.Index)
				require.True(t, ok)
				require.Equal(t, b, c.Server)
			}
			require.Equal(t, int64(10*len(tt.servers)), tb.Counters()["records"], "every map counted once")
		})
	}
}

func TestLoseServerAfterTheJobChangesNothing(t *testing.T) {
	const server = "10.0.0.1:7001"
	tb := New(inputsOf("a"), 1, testPolicy(), t0)
	commitOn(t, tb, mustAssign(t, tb, 1, t0), server, nil, t0)
	require.Equal(t, DecisionCommitted, complete(tb, 1, mustAssign(t, tb, 1, t0).Attempt, t0))
	require.True(t, tb.Over())
	require.Empty(t, tb.LoseServer(server, "lost after the job", t0), "no reduce task needs the output any more")
	require.Zero(t, tb.MapsRerun())
}

func TestCountersOfALostOutputAreTakenBack(t *testing.T) {
	tb := New(inputsOf("a", "b"), 1, testPolicy(), t0)
	commitOn(t, tb, mustAssign(t, tb, 1, t0), "", map[string]int64{"records": 3, "bytes": 7}, t0)
	commitOn(t, tb, mustAssign(t, tb, 1, t0), "", map[string]int64{"records": 4}, t0)
	require.Equal(t, map[string]int64{"records": 7, "bytes": 7}, tb.Counters())
	require.Equal(t, DecisionRerun, tb.LoseOutput(mapAttempt(0, 1), "gone", t0))
	require.Equal(t, map[string]int64{"records": 4, "bytes": 0}, tb.Counters())
	require.Equal(t, 1, tb.MapsRerun())
	commitOn(t, tb, mustAssign(t, tb, 1, t0), "", map[string]int64{"records": 3, "bytes": 7}, t0)
	require.Equal(t, map[string]int64{"records": 7, "bytes": 7}, tb.Counters())
}
