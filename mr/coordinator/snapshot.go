package coordinator

import (
	"time"

	"6.5840/mr/status"
	"6.5840/mr/task"
)

// lostAfterLeases is how many leases a worker may stay silent before the
// status page calls it lost.
const lostAfterLeases = 2

// Snapshot returns the job's state for the status page and the report.
// It copies everything, so it costs O(tasks + attempts).
func (c *Coordinator) Snapshot() status.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshotLocked(true)
}

// ProgressSnapshot returns the part of the job's state that a progress
// line needs: phases, workers and failed attempts, not every task.
func (c *Coordinator) ProgressSnapshot() status.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshotLocked(false)
}

func (c *Coordinator) snapshotLocked(full bool) status.Snapshot {
	now := time.Now()
	t := c.table
	s := status.Snapshot{
		Job: status.Job{
			Inputs:    len(c.cfg.Inputs),
			NReduce:   c.cfg.NReduce,
			Started:   c.started,
			Ended:     c.ended,
			State:     status.JobRunning,
			Skipped:   t.Skipped(),
			MapsRerun: c.mapsRerun,
		},
		Counters: c.countersCopyLocked(),
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

	type workerTally struct {
		current        string
		done, failures int
	}
	tally := make(map[int]*workerTally)
	for id := range c.workers {
		tally[int(id)] = &workerTally{}
	}
	records := t.Attempts()
	for _, r := range records {
		w := tally[r.Worker]
		if w == nil {
			continue
		}
		switch r.Outcome {
		case OutcomeRunning:
			w.current = r.ID.String()
		case OutcomeCommitted:
			w.done++
		case OutcomeFailed, OutcomeRevoked, OutcomeLost:
			w.failures++
		}
		if full || r.Outcome == OutcomeFailed || r.Outcome == OutcomeRevoked || r.Outcome == OutcomeLost {
			s.Attempts = append(s.Attempts, attemptView(r))
		}
	}
	for id, info := range c.workers {
		w := tally[int(id)]
		state := status.WorkerIdle
		switch {
		case info.toldExit:
			state = status.WorkerExited
		case info.lost:
			state = status.WorkerLost
		case now.Sub(info.lastSeen) > lostAfterLeases*c.cfg.Lease:
			state = status.WorkerLost
		case w.current != "":
			state = status.WorkerBusy
		}
		s.Workers = append(s.Workers, status.Worker{
			ID: int(id), Host: info.host, Server: info.server, PID: info.pid, LastSeen: info.lastSeen,
			State: state, Current: w.current, TasksDone: w.done, Failures: w.failures,
		})
	}
	if full {
		s.Tasks = taskViews(t, records)
	}
	return s
}

func attemptView(r AttemptRecord) status.Attempt {
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
	}
}

// taskViews describes every task, with its attempt count, the worker of
// its committed (else latest) attempt and its committed run time.
func taskViews(t *Table, records []AttemptRecord) []status.Task {
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
		if r.Outcome == OutcomeCommitted {
			tl.worker, tl.duration = r.Worker, r.End.Sub(r.Start)
		}
	}
	views := make([]status.Task, 0, len(t.maps.tasks)+len(t.reduces.tasks))
	for _, tasks := range [][]taskEntry{t.maps.tasks, t.reduces.tasks} {
		for _, e := range tasks {
			v := status.Task{ID: e.id.String(), Kind: e.id.Kind.String(), Index: e.id.Index, State: taskStateName(e)}
			if e.id.Kind == task.Map {
				v.Input = e.input.String()
			}
			if tl := byTask[e.id]; tl != nil {
				v.Attempts, v.Worker, v.Duration = tl.attempts, tl.worker, tl.duration
			}
			views = append(views, v)
		}
	}
	return views
}

func taskStateName(e taskEntry) string {
	switch {
	case e.skipped:
		return status.TaskSkipped
	case e.state == stateDone:
		return status.TaskDone
	case e.state == stateRunning || e.state == stateCommitting:
		return status.TaskRunning
	default:
		return status.TaskIdle
	}
}
