package table

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"6.5840/mr/task"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func testPolicy() Policy {
	return Policy{Lease: 2 * time.Second, HardLimit: time.Minute, MaxFailures: 3, MaxStatusBytes: testStatusBytes}
}

func mapAttempt(i, n int) task.AttemptID {
	return task.AttemptID{Task: task.ID{Kind: task.Map, Index: i}, Attempt: n}
}

func reduceAttempt(i, n int) task.AttemptID {
	return task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: i}, Attempt: n}
}

// complete reports the success of attempt id of worker and makes the
// commit durable at once, as the coordinator does after its I/O.
func complete(tb *Table, worker int, id task.AttemptID, now time.Time) Decision {
	decision := tb.BeginCommit(worker, id)
	if decision == DecisionCommitting {
		tb.EndCommit(Commit{Attempt: id}, nil, now)
		return DecisionCommitted
	}
	return decision
}

// pending stands for a map task without a commit in mapOutputs.
const pending = -1

// mapOutputs returns the committed attempt of every map task, or pending
// for one without a commit.
func mapOutputs(tb *Table) []int {
	outputs := make([]int, tb.Maps())
	for m := range outputs {
		outputs[m] = pending
		if c, ok := tb.MapCommit(m); ok {
			outputs[m] = c.Attempt.Attempt
		}
	}
	return outputs
}

func mustAssign(t *testing.T, tb *Table, worker int, now time.Time) Assignment {
	t.Helper()
	a, ok := tb.Assign(worker, now)
	require.True(t, ok, "Assign(worker %d) found nothing", worker)
	return a
}

func TestMapsBeforeReduces(t *testing.T) {
	tb := New(inputsOf("a.txt", "b.txt"), 2, testPolicy(), t0)
	a1 := mustAssign(t, tb, 1, t0)
	a2 := mustAssign(t, tb, 2, t0)
	require.Equal(t, mapAttempt(0, 1), a1.Attempt)
	require.Equal(t, task.WholeFile("a.txt"), a1.Input)
	require.Equal(t, mapAttempt(1, 1), a2.Attempt)

	_, ok := tb.Assign(3, t0)
	require.False(t, ok, "no reduce may start while maps run")

	require.Equal(t, DecisionCommitted, complete(tb, a1.Worker, a1.Attempt, t0.Add(time.Second)))
	_, ok = tb.Assign(3, t0)
	require.False(t, ok, "no reduce may start while a map runs")
	require.Equal(t, []int{1, pending}, mapOutputs(tb))

	require.Equal(t, DecisionCommitted, complete(tb, a2.Worker, a2.Attempt, t0.Add(time.Second)))
	require.Equal(t, []int{1, 1}, mapOutputs(tb))
	r := mustAssign(t, tb, 3, t0)
	require.Equal(t, reduceAttempt(0, 1), r.Attempt)
	require.Equal(t, Progress{MapsDone: 2, Maps: 2, Reduces: 2, ReducesRunning: 1}, tb.Progress())
}

func TestJobFinishesAfterLastReduce(t *testing.T) {
	tb := New(inputsOf("a"), 1, testPolicy(), t0)
	require.Equal(t, DecisionCommitted, complete(tb, 1, mustAssign(t, tb, 1, t0).Attempt, t0))
	require.False(t, tb.Over())
	require.Equal(t, DecisionCommitted, complete(tb, 1, mustAssign(t, tb, 1, t0).Attempt, t0))
	require.True(t, tb.Over())
	require.NoError(t, tb.Failure())
	_, ok := tb.Assign(1, t0)
	require.False(t, ok)
}

func TestReports(t *testing.T) {
	tests := []struct {
		name string
		// setup runs map 0 attempt 1 on worker 1 and returns the attempt
		// to report on.
		setup func(tb *Table) task.AttemptID
		fail  bool
		want  Decision
	}{
		{"first completion commits", func(tb *Table) task.AttemptID { return mapAttempt(0, 1) }, false, DecisionCommitted},
		{"repeated completion is committed again", func(tb *Table) task.AttemptID {
			complete(tb, 1, mapAttempt(0, 1), t0)
			return mapAttempt(0, 1)
		}, false, DecisionCommitted},
		{"repeated failure is ignored", func(tb *Table) task.AttemptID {
			tb.Fail(1, mapAttempt(0, 1), "boom", t0)
			return mapAttempt(0, 1)
		}, true, DecisionIgnored},
		{"report during the commit is busy", func(tb *Table) task.AttemptID {
			tb.BeginCommit(1, mapAttempt(0, 1))
			return mapAttempt(0, 1)
		}, false, DecisionBusy},
		{"revoked attempt's report is ignored", func(tb *Table) task.AttemptID {
			tb.Expire(t0.Add(3 * time.Second))
			return mapAttempt(0, 1)
		}, false, DecisionIgnored},
		{"revoked attempt's failure is ignored", func(tb *Table) task.AttemptID {
			tb.Expire(t0.Add(3 * time.Second))
			return mapAttempt(0, 1)
		}, true, DecisionIgnored},
		{"live attempt fails", func(tb *Table) task.AttemptID { return mapAttempt(0, 1) }, true, DecisionFailed},
		{"attempt never handed out", func(tb *Table) task.AttemptID { return mapAttempt(0, 2) }, false, DecisionUnknown},
		{"no such task", func(tb *Table) task.AttemptID { return mapAttempt(7, 1) }, false, DecisionUnknown},
		{"negative task", func(tb *Table) task.AttemptID { return mapAttempt(-1, 1) }, false, DecisionUnknown},
		{"reduce before reduce phase", func(tb *Table) task.AttemptID { return reduceAttempt(0, 1) }, false, DecisionUnknown},
		{"invalid kind", func(tb *Table) task.AttemptID { return task.AttemptID{Task: task.ID{Index: 0}, Attempt: 1} }, false, DecisionUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := New(inputsOf("a", "b"), 1, testPolicy(), t0)
			mustAssign(t, tb, 1, t0)
			id := tt.setup(tb)
			var got Decision
			if tt.fail {
				got = tb.Fail(1, id, "boom", t0)
			} else {
				got = complete(tb, 1, id, t0.Add(time.Second))
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestStaleReportAfterReassignment(t *testing.T) {
	tb := New(inputsOf("a"), 1, testPolicy(), t0)
	first := mustAssign(t, tb, 1, t0)
	require.Len(t, tb.Expire(t0.Add(2*time.Second)), 1)
	second := mustAssign(t, tb, 2, t0.Add(2*time.Second))
	require.Equal(t, mapAttempt(0, 2), second.Attempt)

	// The first worker wakes up and reports: it must not count.
	require.False(t, tb.Heartbeat(first.Worker, first.Attempt, t0.Add(3*time.Second)), "revoked attempt told to go on")
	require.Equal(t, DecisionIgnored, complete(tb, first.Worker, first.Attempt, t0.Add(3*time.Second)))
	require.Equal(t, DecisionCommitted, complete(tb, second.Worker, second.Attempt, t0.Add(4*time.Second)))
	require.Equal(t, []int{2}, mapOutputs(tb), "reducers must read the committed attempt")
}

func TestLeaseRenewedByHeartbeats(t *testing.T) {
	tb := New(inputsOf("a"), 1, testPolicy(), t0)
	a := mustAssign(t, tb, 1, t0)
	now := t0
	for range 20 { // 20 s of a slow but alive worker
		now = now.Add(time.Second)
		require.Empty(t, tb.Expire(now))
		require.True(t, tb.Heartbeat(a.Worker, a.Attempt, now))
	}
	next, ok := tb.NextDeadline()
	require.True(t, ok)
	require.Equal(t, now.Add(2*time.Second), next)
	revoked := tb.Expire(next)
	require.Len(t, revoked, 1)
	require.Equal(t, a.Attempt, revoked[0].Attempt)
	require.Equal(t, 1, revoked[0].Worker)
	// The task is idle again and goes to the next asker as attempt 2.
	require.Equal(t, mapAttempt(0, 2), mustAssign(t, tb, 2, next).Attempt)
}

func TestHardLimit(t *testing.T) {
	p := testPolicy()
	p.HardLimit = 10 * time.Second
	tb := New(inputsOf("a"), 1, p, t0)
	a := mustAssign(t, tb, 1, t0)
	for s := 1; s < 10; s++ {
		now := t0.Add(time.Duration(s) * time.Second)
		require.True(t, tb.Heartbeat(a.Worker, a.Attempt, now))
		require.Empty(t, tb.Expire(now))
	}
	next, _ := tb.NextDeadline()
	require.Equal(t, t0.Add(10*time.Second), next)
	revoked := tb.Expire(next)
	require.Len(t, revoked, 1)
	require.Contains(t, revoked[0].Reason, "longer than 10s")
}

func TestTooManyFailuresFailTheJob(t *testing.T) {
	tb := New(inputsOf("good", "poison.txt"), 1, testPolicy(), t0)
	now := t0
	for i := 1; i <= 3; i++ {
		a := mustAssign(t, tb, 1, now)
		if a.Attempt.Task.Index == 0 {
			complete(tb, a.Worker, a.Attempt, now)
			a = mustAssign(t, tb, 1, now)
		}
		require.Equal(t, mapAttempt(1, i), a.Attempt)
		require.Equal(t, DecisionFailed, tb.Fail(a.Worker, a.Attempt, "Map panicked: bad record", now))
		require.False(t, tb.Over(), "failure %d of 3 allowed", i)
	}
	// The fourth loss, this time by lease expiry, is one too many once its
	// worker stays silent for a further lease.
	mustAssign(t, tb, 1, now)
	tb.Expire(now.Add(time.Hour))
	require.False(t, tb.Over(), "a lost lease counts only once its worker stays silent")
	next, ok := tb.NextDeadline()
	require.True(t, ok)
	require.Equal(t, now.Add(time.Hour+testPolicy().Lease), next)
	tb.Expire(next)
	require.True(t, tb.Over())
	require.ErrorContains(t, tb.Failure(), "poison.txt")
	require.ErrorContains(t, tb.Failure(), "failed 4 times")
	_, ok = tb.Assign(2, now)
	require.False(t, ok)
}

func TestUnlimitedFailures(t *testing.T) {
	p := testPolicy()
	p.MaxFailures = -1
	tb := New(inputsOf("a"), 1, p, t0)
	for range 100 {
		tb.Fail(1, mustAssign(t, tb, 1, t0).Attempt, "crash", t0)
	}
	require.False(t, tb.Over())
}

func TestBackupAttempts(t *testing.T) {
	p := testPolicy()
	p.BackupFactor = 3
	p.BackupMinAge = 5 * time.Second
	p.HardLimit = time.Hour
	tests := []struct {
		name         string
		stragglerAge time.Duration
		wantBackup   bool
	}{
		{"young straggler", 5 * time.Second, false},
		{"under 3x mean", 8 * time.Second, false},
		{"over 3x mean", 10 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := New(inputsOf("a", "b", "c"), 1, p, t0)
			slow := mustAssign(t, tb, 1, t0)
			b := mustAssign(t, tb, 2, t0)
			c := mustAssign(t, tb, 3, t0)
			// The other two took 3 s: mean 3 s, threshold 9 s.
			complete(tb, b.Worker, b.Attempt, t0.Add(3*time.Second))
			complete(tb, c.Worker, c.Attempt, t0.Add(3*time.Second))
			now := t0.Add(tt.stragglerAge)
			require.True(t, tb.Heartbeat(slow.Worker, slow.Attempt, now))
			_, ok := tb.Assign(1, now)
			require.False(t, ok, "a worker never backs up its own attempt")
			backup, ok := tb.Assign(2, now)
			require.Equal(t, tt.wantBackup, ok)
			if !ok {
				return
			}
			require.True(t, backup.Backup)
			require.Equal(t, mapAttempt(0, 2), backup.Attempt)
			_, ok = tb.Assign(3, now)
			require.False(t, ok, "at most one backup per task")

			// The backup wins; the original is revoked.
			require.Equal(t, DecisionCommitted, complete(tb, backup.Worker, backup.Attempt, now.Add(time.Second)))
			require.False(t, tb.Heartbeat(slow.Worker, slow.Attempt, now.Add(time.Second)))
			require.Equal(t, DecisionIgnored, complete(tb, slow.Worker, slow.Attempt, now.Add(2*time.Second)))
			require.Equal(t, []int{2, 1, 1}, mapOutputs(tb))
		})
	}
}

func TestBackupOffByDefaultPolicy(t *testing.T) {
	tb := New(inputsOf("a", "b"), 1, testPolicy(), t0)
	mustAssign(t, tb, 1, t0)
	complete(tb, 2, mustAssign(t, tb, 2, t0).Attempt, t0.Add(time.Second))
	_, ok := tb.Assign(2, t0.Add(time.Hour))
	require.False(t, ok)
}

func TestJobCountPatternNeverBacksUp(t *testing.T) {
	// 8 maps of 2-5 s on 4 workers, the lab's job-count test: with the
	// default backup rule no map may run twice.
	p := testPolicy()
	p.BackupFactor = DefaultBackupFactor
	p.BackupMinAge = DefaultBackupMinAge
	durations := []time.Duration{2, 5, 5, 5, 2, 5, 5, 2}
	for i := range durations {
		durations[i] *= time.Second
	}
	tb := New(inputsOf(make([]string, len(durations))...), 1, p, t0)
	type running struct {
		a   Assignment
		end time.Time
	}
	busy := map[int]*running{}
	now := t0
	for step := 0; step < 300 && tb.Progress().MapsDone < len(durations); step++ {
		for w := 1; w <= 4; w++ {
			if r := busy[w]; r != nil && !now.Before(r.end) {
				require.Equal(t, DecisionCommitted, complete(tb, r.a.Worker, r.a.Attempt, now))
				busy[w] = nil
			}
			if r := busy[w]; r != nil {
				tb.Heartbeat(r.a.Worker, r.a.Attempt, now)
				continue
			}
			if a, ok := tb.Assign(w, now); ok && a.Attempt.Task.Kind == task.Map {
				require.False(t, a.Backup, "backup of %v at %v", a.Attempt, now.Sub(t0))
				busy[w] = &running{a, now.Add(durations[a.Attempt.Task.Index])}
			}
		}
		now = now.Add(100 * time.Millisecond)
	}
	require.Equal(t, len(durations), tb.Progress().MapsDone)
}

func inputsOf(paths ...string) []task.Input {
	inputs := make([]task.Input, len(paths))
	for i, p := range paths {
		inputs[i] = task.WholeFile(p)
	}
	return inputs
}

func TestHistoryRecordsOutcomes(t *testing.T) {
	p := testPolicy()
	p.BackupFactor, p.BackupMinAge = 2, time.Second
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tb := New(inputsOf("a", "b", "c"), 1, p, t0)
	a := mustAssign(t, tb, 1, at(0))
	b := mustAssign(t, tb, 2, at(500))
	c := mustAssign(t, tb, 3, at(500))
	tb.Fail(c.Worker, c.Attempt, "boom", at(1000))
	c2 := mustAssign(t, tb, 3, at(1000))
	complete(tb, c2.Worker, c2.Attempt, at(2000)) // mean 1 s: backups after 2 s
	tb.Heartbeat(a.Worker, a.Attempt, at(1500))
	tb.Heartbeat(b.Worker, b.Attempt, at(1500))
	backup := mustAssign(t, tb, 3, at(3000)) // a is the oldest straggler
	require.True(t, backup.Backup)
	require.Equal(t, a.Attempt.Task, backup.Attempt.Task)
	tb.Heartbeat(a.Worker, a.Attempt, at(3000))
	complete(tb, backup.Worker, backup.Attempt, at(4000))
	tb.Expire(at(4000)) // b's lease ran out at 3.5 s

	got := map[task.AttemptID]Outcome{}
	for r := range tb.Attempts() {
		got[r.ID] = r.Outcome
	}
	require.Equal(t, map[task.AttemptID]Outcome{
		a.Attempt:      OutcomeSuperseded,
		b.Attempt:      OutcomeRevoked,
		c.Attempt:      OutcomeFailed,
		c2.Attempt:     OutcomeCommitted,
		backup.Attempt: OutcomeCommitted,
	}, got)
}

// testStatusBytes bounds status messages in the tests' policy.
const testStatusBytes = 256

// TestSetStatusCutsAndCleans: a status message is kept to the policy's
// MaxStatusBytes of valid UTF-8, and only for a running attempt.
func TestSetStatusCutsAndCleans(t *testing.T) {
	tb := New(inputsOf("a.txt"), 1, testPolicy(), t0)
	id := mustAssign(t, tb, 1, t0).Attempt
	long := strings.Repeat("é", testStatusBytes) // 2 bytes each
	tb.SetStatus(id, "\xff"+long)
	got := tb.Attempt(0).Status
	require.LessOrEqual(t, len(got), testStatusBytes)
	require.True(t, utf8.ValidString(got))
	require.True(t, strings.HasPrefix(got, "éé"))

	complete(tb, 1, id, t0)
	tb.SetStatus(id, "after the end")
	require.Equal(t, got, tb.Attempt(0).Status, "a finished attempt's status changed")
}

// orderedTasks is how many tasks the order tests run at once: enough
// that ranging over a map would rarely give task order.
const orderedTasks = 16

// TestExpireRevokesInTaskOrder: leases that run out together are
// revoked maps first, each kind in task order, every time.
func TestExpireRevokesInTaskOrder(t *testing.T) {
	for range 10 {
		tb := New(inputsOf(make([]string, orderedTasks)...), 1, testPolicy(), t0)
		var want []task.AttemptID
		for w := range orderedTasks {
			want = append(want, mustAssign(t, tb, w+1, t0).Attempt)
		}
		var got []task.AttemptID
		for _, r := range tb.Expire(t0.Add(testPolicy().Lease)) {
			got = append(got, r.Attempt)
		}
		require.Equal(t, want, got)
	}
}

// TestSameEventsFailTheJobOnTheSameTask: when several tasks pass the
// hard limit at once and one failure is one too many, the job fails on
// the lowest task, every time.
func TestSameEventsFailTheJobOnTheSameTask(t *testing.T) {
	p := testPolicy()
	p.MaxFailures = 0
	p.HardLimit = 10 * time.Second
	for range 10 {
		tb := New(inputsOf(make([]string, orderedTasks)...), 1, p, t0)
		for w := range orderedTasks {
			mustAssign(t, tb, w+1, t0)
		}
		now := t0.Add(p.HardLimit)
		for w := range orderedTasks {
			require.True(t, tb.Heartbeat(w+1, mapAttempt(w, 1), now))
		}
		revoked := tb.Expire(now)
		require.Len(t, revoked, 1, "the first failure ends the job")
		require.Equal(t, mapAttempt(0, 1), revoked[0].Attempt)
		require.ErrorContains(t, tb.Failure(), "map-0 ")
	}
}

// TestStragglersAsOldAreBackedUpInTaskOrder: of stragglers as old, the
// lowest task gets the first backup, the next the second.
func TestStragglersAsOldAreBackedUpInTaskOrder(t *testing.T) {
	p := testPolicy()
	p.BackupFactor, p.BackupMinAge, p.HardLimit = 1, time.Second, time.Hour
	for range 10 {
		tb := New(inputsOf(make([]string, orderedTasks+1)...), 1, p, t0)
		for w := range orderedTasks + 1 {
			mustAssign(t, tb, w+1, t0)
		}
		// The last task commits in 1 s; the others straggle.
		require.Equal(t, DecisionCommitted, complete(tb, orderedTasks+1, mapAttempt(orderedTasks, 1), t0.Add(time.Second)))
		now := t0.Add(5 * time.Second)
		for w := range orderedTasks {
			require.True(t, tb.Heartbeat(w+1, mapAttempt(w, 1), now))
		}
		for m := range 3 {
			backup := mustAssign(t, tb, orderedTasks+1, now)
			require.True(t, backup.Backup)
			require.Equal(t, mapAttempt(m, 2), backup.Attempt)
		}
	}
}

// TestBackupAsSoonAsAStragglerIsOldEnough: asks that find no straggler
// let the table skip the scan until an attempt could be BackupMinAge old,
// but never later: a task past the threshold gets its backup at the first
// ask after, when a commit has lowered the mean meanwhile, and again once
// that backup failed.
func TestBackupAsSoonAsAStragglerIsOldEnough(t *testing.T) {
	p := testPolicy()
	p.BackupFactor, p.BackupMinAge, p.HardLimit = 1, 4500*time.Millisecond, time.Hour
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tb := New(inputsOf("a", "b", "c"), 1, p, t0)
	b := mustAssign(t, tb, 2, at(0))
	slow := mustAssign(t, tb, 1, at(1000))
	complete(tb, b.Worker, b.Attempt, at(5000)) // mean 5 s
	c := mustAssign(t, tb, 3, at(5000))
	for ms := 5000; ms <= 5400; ms += 100 {
		tb.Heartbeat(slow.Worker, slow.Attempt, at(ms))
		_, ok := tb.Assign(5, at(ms))
		require.False(t, ok, "at %d ms no task is past the 5 s mean", ms)
	}
	// c's commit after 0.4 s brings the mean to 2.7 s, under the minimum
	// age: slow is a straggler once it is 4.5 s old.
	complete(tb, c.Worker, c.Attempt, at(5400))
	_, ok := tb.Assign(5, at(5400))
	require.False(t, ok, "slow is 4.4 s old")
	tb.Heartbeat(slow.Worker, slow.Attempt, at(5600))
	backup, ok := tb.Assign(5, at(5600))
	require.True(t, ok, "slow is 4.6 s old")
	require.True(t, backup.Backup)
	require.Equal(t, slow.Attempt.Task, backup.Attempt.Task)

	require.Equal(t, DecisionFailed, tb.Fail(backup.Worker, backup.Attempt, "boom", at(5700)))
	again, ok := tb.Assign(6, at(5700))
	require.True(t, ok, "a straggler with one attempt again")
	require.Equal(t, slow.Attempt.Task, again.Attempt.Task)
}

// TestMapsAreHandedOutInChunks: in a job large enough for chunks, workers
// asking at once start on different chunks, each goes on with the next
// task of its own chunk, and one whose chunk is used up (or whose next
// task another worker took) takes the next task of the queue.
func TestMapsAreHandedOutInChunks(t *testing.T) {
	chunk := 4
	maps := chunk * minHandOutChunks
	require.Equal(t, chunk, handOutChunk(maps))
	require.Equal(t, 1, handOutChunk(2*minHandOutChunks-1), "a smaller job is handed out task by task")
	inputs := make([]task.Input, maps)
	for i := range inputs {
		inputs[i] = task.WholeFile(fmt.Sprintf("in-%d", i))
	}
	tb := New(inputs, 1, testPolicy(), t0)
	take := func(worker int) int {
		a := mustAssign(t, tb, worker, t0)
		require.Equal(t, DecisionCommitted, complete(tb, worker, a.Attempt, t0))
		return a.Attempt.Task.Index
	}
	require.Equal(t, 0, take(1))
	require.Equal(t, chunk, take(2))
	require.Equal(t, []int{1, 2, 3}, []int{take(1), take(1), take(1)})
	require.Equal(t, 2*chunk, take(1), "chunk 0 done: the queue's next")
	// Worker 3 starts on the next chunk in the queue; worker 2 goes on
	// with its own.
	require.Equal(t, 3*chunk, take(3))
	require.Equal(t, chunk+1, take(2))
}
