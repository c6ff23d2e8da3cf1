package table

import (
	"fmt"
	"time"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// BeginCommit handles the success report of an attempt. The first success
// of a live attempt returns DecisionCommitting and holds the task until
// EndCommit says whether its output could be made durable; meanwhile other
// reports about the task get DecisionBusy. A repeated report of the committed
// attempt gets DecisionCommitted again, so that a worker whose first answer
// was lost never deletes committed output.
func (t *Table) BeginCommit(worker int, id task.AttemptID) Decision {
	e := t.entry(id.Task)
	if e == nil || id.Attempt < 1 || id.Attempt > int(e.attempts) {
		return DecisionUnknown
	}
	switch {
	case e.state == StateDone && !e.skipped && int(e.committed) == id.Attempt:
		if int(e.committedWorker) != worker {
			return DecisionUnknown
		}
		return DecisionCommitted
	case e.state == StateCommitting && e.committing != nil && e.committing.number == id.Attempt:
		if e.committing.worker != worker {
			return DecisionUnknown
		}
		return DecisionBusy
	case t.Over():
		return DecisionIgnored
	}
	i := e.liveIndex(id.Attempt)
	if i < 0 {
		return DecisionIgnored
	}
	if e.live[i].worker != worker {
		return DecisionUnknown
	}
	if e.state == StateCommitting {
		return DecisionBusy
	}
	committing := e.live[i]
	e.committing = &committing
	e.live = append(e.live[:i], e.live[i+1:]...)
	e.state = StateCommitting
	return DecisionCommitting
}

// EndCommit ends the commit c that BeginCommit began: with a nil err the
// task is done, with c's counters and server, and its other attempts
// superseded; otherwise the attempt counts as failed with err.
func (t *Table) EndCommit(c Commit, err error, now time.Time) {
	id := c.Attempt
	e := t.entry(id.Task)
	if e == nil || e.state != StateCommitting || e.committing == nil || e.committing.number != id.Attempt {
		return
	}
	a := *e.committing
	e.committing = nil
	if err != nil {
		t.history.ended(t.record(id), now, OutcomeFailed, err.Error())
		e.state = StateRunning
		t.recordFailure(e, err.Error(), true, now)
		return
	}
	t.history.ended(t.record(id), now, OutcomeCommitted, "")
	for _, other := range e.live {
		t.history.ended(t.record(task.AttemptID{Task: e.id, Attempt: other.number}), now, OutcomeSuperseded,
			fmt.Sprintf("attempt %d committed first", a.number))
	}
	s := t.set(e.id.Kind)
	s.committedCount++
	s.committedTime += now.Sub(a.started)
	t.keep(e, c)
	t.markDone(e, a.number, a.worker, now)
}

// liveIndex returns the index in e.live of attempt number, or -1.
func (e *taskEntry) liveIndex(number int) int {
	for i := range e.live {
		if e.live[i].number == number {
			return i
		}
	}
	return -1
}

// Commit is an attempt's commit: the attempt (0 for a skipped map task),
// and for a map attempt where its output is served and, if in a segment
// file, where in it. Counters are the attempt's counts, added to the
// job's totals. Keys are a sample attempt's sampled keys, its only output.
type Commit struct {
	Attempt  task.AttemptID
	Skipped  bool
	Server   string
	Extent   jobfiles.Extent
	Counters map[string]int64
	Keys     []string
}

// Restore marks the tasks a journal recorded as committed (or skipped)
// before a coordinator restart as done, with their counters and servers,
// and numbers new attempts after every earlier start's. It must be called
// on a fresh table.
func (t *Table) Restore(starts int, commits []Commit, now time.Time) error {
	for _, s := range []*taskSet{&t.maps, &t.reduces, &t.order.tasks} {
		for i := range s.tasks {
			s.tasks[i].attempts = int32(starts * attemptsPerStart)
		}
	}
	for _, kind := range []task.Kind{task.Map, task.Reduce} {
		for _, c := range commits {
			if c.Attempt.Task.Kind != kind {
				continue
			}
			e := t.entry(c.Attempt.Task)
			if e == nil {
				return fmt.Errorf("the journal commits %v, which this job does not have", c.Attempt)
			}
			if e.state == StateDone {
				continue
			}
			if kind == task.Reduce && !t.reducing {
				// Reduces ran, so every map had been done; a map missing now
				// lost its output then and runs again.
				t.startReducing(now)
			}
			e.skipped = c.Skipped
			t.keep(e, c)
			t.markDone(e, c.Attempt.Attempt, 0, now)
		}
	}
	return nil
}

// markDone commits e with attempt (0: skipped) of worker.
func (t *Table) markDone(e *taskEntry, attempt, worker int, now time.Time) {
	s := t.set(e.id.Kind)
	e.state = StateDone
	e.committed, e.committedWorker = int32(attempt), int32(worker)
	e.live = nil
	delete(s.running, e.id.Index)
	s.done++
	switch {
	case e.id.Kind == task.Map && t.reducing:
		t.mapCommitChanges = append(t.mapCommitChanges, e.id.Index)
	case e.id.Kind == task.Map && s.done == len(s.tasks):
		t.startReducing(now)
	case e.id.Kind == task.Reduce && s.done == len(s.tasks):
		t.finished = true
	case e.id.Kind == task.Sample && s.done == len(s.tasks):
		t.pickSplits()
	}
}
