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

// taskRow is what a snapshot copies of a task under the lock.
type taskRow struct {
	id    task.ID
	state string
	input string
}

func (c *Coordinator) snapshot(full bool) status.Snapshot {
	c.mu.Lock()
	now := time.Now()
	s := c.jobViewLocked(now)
	workers := c.workers.copies()
	nRecords := c.table.AttemptCount()
	nTasks := c.table.Tasks()
	c.mu.Unlock()

	records := c.copyRecords(nRecords)
	s.Workers = c.workerViews(workers, records, now)
	for _, r := range records {
		if full || failed(r.Outcome) {
			s.Attempts = append(s.Attempts, attemptView(r))
		}
	}
	if full {
		s.Tasks = taskViews(c.copyTasks(nTasks), records)
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

// workerViews describes every worker at now, with the attempt it runs
// and how many of its attempts committed and failed.
func (c *Coordinator) workerViews(workers []workerRow, records []table.AttemptRecord, now time.Time) []status.Worker {
	type workerTally struct {
		current        string
		done, failures int
	}
	tally := make(map[int]*workerTally, len(workers))
	for _, w := range workers {
		tally[w.id] = &workerTally{}
	}
	for _, r := range records {
		w := tally[r.Worker]
		switch {
		case w == nil:
		case r.Outcome == table.OutcomeRunning:
			w.current = r.ID.String()
		case r.Outcome == table.OutcomeCommitted:
			w.done++
		case failed(r.Outcome):
			w.failures++
		}
	}
	views := make([]status.Worker, 0, len(workers))
	for _, row := range workers {
		info, w := row.info, tally[row.id]
		views = append(views, status.Worker{
			ID: row.id, Host: info.host, Server: info.server, PID: info.pid, LastSeen: info.lastSeen,
			State: c.workers.state(&info, now, w.current != ""), Current: w.current,
			TasksDone: w.done, Failures: w.failures,
		})
	}
	return views
}

// copyRecords copies the first n attempt records, snapshotChunk at a
// time under the lock. Records are only ever appended, so the first n
// stay the first n.
func (c *Coordinator) copyRecords(n int) []table.AttemptRecord {
	records := make([]table.AttemptRecord, n)
	for i := 0; i < n; i += snapshotChunk {
		c.mu.Lock()
		for k := i; k < min(i+snapshotChunk, n, c.table.AttemptCount()); k++ {
			records[k] = c.table.Attempt(k)
		}
		c.mu.Unlock()
	}
	return records
}

// copyTasks copies what a snapshot shows of the first n tasks, maps then
// reduces, snapshotChunk at a time under the lock.
func (c *Coordinator) copyTasks(n int) []taskRow {
	rows := make([]taskRow, 0, n)
	for i := 0; i < n; i += snapshotChunk {
		c.mu.Lock()
		for k := i; k < min(i+snapshotChunk, n, c.table.Tasks()); k++ {
			v := c.table.Task(k)
			rows = append(rows, taskRow{id: v.ID, state: taskStateName(v), input: v.Input.String()})
		}
		c.mu.Unlock()
	}
	return rows
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

// taskViews describes every task, with its attempt count, the worker of
// its committed (else latest) attempt and its committed run time.
func taskViews(tasks []taskRow, records []table.AttemptRecord) []status.Task {
	type tally struct {
		attempts, worker int
		duration         time.Duration
	}
	byTask := make(map[task.ID]*tally)
	for _, r := range records {
		tl := byTask[r.ID.Task]
		if tl == nil {
			tl = &tally{}
			byTask[r.ID.Task] = tl
		}
		tl.attempts++
		if tl.duration == 0 {
			tl.worker = r.Worker
		}
		if r.Outcome == table.OutcomeCommitted {
			tl.worker, tl.duration = r.Worker, r.End.Sub(r.Start)
		}
	}
	views := make([]status.Task, 0, len(tasks))
	for _, row := range tasks {
		v := status.Task{ID: row.id.String(), Kind: row.id.Kind.String(), Index: row.id.Index, State: row.state, Input: row.input}
		if tl := byTask[row.id]; tl != nil {
			v.Attempts, v.Worker, v.Duration = tl.attempts, tl.worker, tl.duration
		}
		views = append(views, v)
	}
	return views
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
