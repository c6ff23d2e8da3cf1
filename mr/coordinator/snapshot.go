package coordinator

import (
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/status"
	"6.5840/mr/task"
)

// snapshotChunk is how many attempt records, or tasks, a snapshot copies
// per hold of the coordinator's lock: a snapshot of a big job takes the
// lock many times, each for a bounded time, so that RPCs are not held up
// for time proportional to the job.
const snapshotChunk = 1024

// Snapshot returns the job's state for the status page and the report.
// It copies everything, so it costs O(tasks + attempts), but holds the
// lock for at most snapshotChunk records or tasks at a time: the parts
// copied at different times may be a moment apart.
func (c *Coordinator) Snapshot() status.Snapshot { return c.snapshot(true) }

// ProgressSnapshot returns the part of the job's state that a progress
// line needs: phases, workers and failed attempts, not every task.
func (c *Coordinator) ProgressSnapshot() status.Snapshot { return c.snapshot(false) }

func (c *Coordinator) snapshot(full bool) status.Snapshot {
	c.mu.Lock()
	now := time.Now()
	s := c.jobViewLocked(now)
	workers := c.workers.copies()
	nRecords := c.table.AttemptCount()
	nTasks, nMaps := c.table.Tasks(), c.table.Maps()
	c.mu.Unlock()

	tally := newAttemptTally(workers, nMaps, 0)
	if full {
		tally = newAttemptTally(workers, nMaps, nTasks)
		s.Attempts = make([]status.Attempt, 0, nRecords)
	}
	c.eachRecord(nRecords, func(r table.AttemptRecord) {
		tally.add(r)
		if full || failed(r.Outcome) {
			s.Attempts = append(s.Attempts, attemptView(r))
		}
	})
	s.Workers = c.workerViews(workers, tally, now)
	if full {
		s.Tasks = c.taskViews(nTasks, tally)
	}
	return s
}

// failed reports whether an attempt that ended so counts as a failure.
func failed(o table.Outcome) bool {
	return o == table.OutcomeFailed || o == table.OutcomeRevoked || o == table.OutcomeLost
}

// jobViewLocked returns a snapshot of the job as a whole at now: its
// state, phases and counters, without workers, tasks or attempts.
func (c *Coordinator) jobViewLocked(now time.Time) status.Snapshot {
	t := c.table
	s := status.Snapshot{
		Job: status.Job{
			Inputs:    len(c.cfg.Inputs),
			NReduce:   c.cfg.NReduce,
			Started:   c.started,
			Ended:     c.ended,
			State:     status.JobRunning,
			Skipped:   t.Skipped(),
			MapsRerun: t.MapsRerun(),
		},
		Counters: t.Counters(),
	}
	end := now
	if !c.ended.IsZero() {
		end = c.ended
	}
	s.Job.Elapsed = end.Sub(c.started)
	switch {
	case t.Failure() != nil:
		s.Job.State, s.Job.Error = status.JobFailed, t.Failure().Error()
	case t.Over():
		s.Job.State = status.JobDone
	}
	p := t.Progress()
	s.Maps = status.Phase{Done: p.MapsDone, Total: p.Maps}
	s.Reduces = status.Phase{Done: p.ReducesDone, Total: p.Reduces}
	if !t.Over() {
		s.Maps.Running, s.Reduces.Running = p.MapsRunning, p.ReducesRunning
	}
	return s
}

// workerTally is what a snapshot counts of one worker's attempts.
type workerTally struct {
	current        string
	done, failures int
}

// taskTally is what a snapshot counts of one task's attempts.
type taskTally struct {
	attempts, worker int
	duration         time.Duration
}

// attemptTally counts the attempts of every worker and, for a full
// snapshot, of every map and reduce task, as the records pass: the
// records themselves are not kept, a million of them at a million tasks.
type attemptTally struct {
	workers map[int]*workerTally
	// tasks holds the map tasks' tallies, then the reduce tasks'; nil
	// when tasks are not shown.
	tasks []taskTally
	maps  int
}

func newAttemptTally(workers []workerRow, maps, tasks int) *attemptTally {
	t := &attemptTally{workers: make(map[int]*workerTally, len(workers)), maps: maps}
	for _, w := range workers {
		t.workers[w.id] = &workerTally{}
	}
	if tasks > 0 {
		t.tasks = make([]taskTally, tasks)
	}
	return t
}

// add counts r.
func (t *attemptTally) add(r table.AttemptRecord) {
	switch w := t.workers[r.Worker]; {
	case w == nil:
	case r.Outcome == table.OutcomeRunning:
		w.current = r.ID.String()
	case r.Outcome == table.OutcomeCommitted:
		w.done++
	case failed(r.Outcome):
		w.failures++
	}
	k := r.ID.Task.Index
	switch r.ID.Task.Kind {
	case task.Map:
	case task.Reduce:
		k += t.maps
	default:
		return // sample tasks are not shown
	}
	if k < 0 || k >= len(t.tasks) {
		return
	}
	tl := &t.tasks[k]
	tl.attempts++
	if tl.duration == 0 {
		tl.worker = r.Worker
	}
	if r.Outcome == table.OutcomeCommitted {
		tl.worker, tl.duration = r.Worker, r.End.Sub(r.Start)
	}
}

// workerViews describes every worker at now, with the attempt it runs
// and how many of its attempts committed and failed.
func (c *Coordinator) workerViews(workers []workerRow, tally *attemptTally, now time.Time) []status.Worker {
	views := make([]status.Worker, 0, len(workers))
	for _, row := range workers {
		info, w := row.info, tally.workers[row.id]
		views = append(views, status.Worker{
			ID: row.id, Host: info.host, Server: info.server, PID: info.pid, LastSeen: info.lastSeen,
			State: c.workers.state(&info, now, w.current != ""), Current: w.current,
			TasksDone: w.done, Failures: w.failures,
		})
	}
	return views
}

// eachRecord passes the first n attempt records to fn, copied
// snapshotChunk at a time under the lock and passed on outside it.
// Records are only ever appended, so the first n stay the first n.
func (c *Coordinator) eachRecord(n int, fn func(table.AttemptRecord)) {
	chunk := make([]table.AttemptRecord, 0, snapshotChunk)
	for i := 0; i < n; i += snapshotChunk {
		chunk = chunk[:0]
		c.mu.Lock()
		for k := i; k < min(i+snapshotChunk, n, c.table.AttemptCount()); k++ {
			chunk = append(chunk, c.table.Attempt(k))
		}
		c.mu.Unlock()
		for _, r := range chunk {
			fn(r)
		}
	}
}

// taskViews describes the first n tasks, maps then reduces, with their
// attempt counts, the worker of their committed (else latest) attempt and
// their committed run time; it copies them snapshotChunk at a time under
// the lock.
func (c *Coordinator) taskViews(n int, tally *attemptTally) []status.Task {
	views := make([]status.Task, 0, n)
	for i := 0; i < n; i += snapshotChunk {
		c.mu.Lock()
		for k := i; k < min(i+snapshotChunk, n, c.table.Tasks()); k++ {
			v := c.table.Task(k)
			tl := tally.tasks[k]
			views = append(views, status.Task{ID: v.ID.String(), Kind: v.ID.Kind.String(), Index: v.ID.Index,
				State: taskStateName(v), Input: v.Input.String(),
				Attempts: tl.attempts, Worker: tl.worker, Duration: tl.duration})
		}
		c.mu.Unlock()
	}
	return views
}

func attemptView(r table.AttemptRecord) status.Attempt {
	return status.Attempt{
		Task:    r.ID.Task.String(),
		Attempt: r.ID.Attempt,
		ID:      r.ID.String(),
		Worker:  r.Worker,
		Start:   r.Start,
		End:     r.End,
		Outcome: r.Outcome.String(),
		Backup:  r.Backup,
		Error:   r.Error,
		Bytes:   r.Bytes,
		Status:  r.Status,
	}
}

func taskStateName(v table.TaskView) string {
	switch {
	case v.Skipped:
		return status.TaskSkipped
	case v.State == table.StateDone:
		return status.TaskDone
	case v.State == table.StateRunning || v.State == table.StateCommitting:
		return status.TaskRunning
	default:
		return status.TaskIdle
	}
}
