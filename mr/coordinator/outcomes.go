package coordinator

import (
	"fmt"
	"slices"
	"time"

	"6.5840/mr/task"
)

// ReportResult says what a report about an attempt did.
type ReportResult uint8

// The results of reporting an attempt.
const (
	// ResultCommitting: the attempt is the first to finish; make its
	// output durable, then call EndCommit.
	ResultCommitting ReportResult = iota + 1
	// ResultCommitted: the attempt had already committed (a repeated report).
	ResultCommitted
	// ResultBusy: another report's commit of this task is under way; ask
	// again once it has ended.
	ResultBusy
	// ResultFailed: a live attempt failed; the task will be retried.
	ResultFailed
	// ResultReleased: a live attempt ended without blame (it gave way, or
	// its input was lost); the task will be retried.
	ResultReleased
	// ResultIgnored: the attempt was no longer live: stale or superseded.
	ResultIgnored
	// ResultUnknown: no such task or attempt of this worker.
	ResultUnknown
)

// String returns the result's name.
func (r ReportResult) String() string {
	switch r {
	case ResultCommitting:
		return "committing"
	case ResultCommitted:
		return "committed"
	case ResultBusy:
		return "busy"
	case ResultFailed:
		return "failed"
	case ResultReleased:
		return "released"
	case ResultIgnored:
		return "ignored"
	case ResultUnknown:
		return "unknown"
	default:
		return fmt.Sprintf("result(%d)", uint8(r))
	}
}

// BeginCommit handles the success report of an attempt. The first success
// of a live attempt returns ResultCommitting and holds the task until
// EndCommit says whether its output could be made durable; meanwhile other
// reports about the task get ResultBusy. A repeated report of the committed
// attempt gets ResultCommitted again, so that a worker whose first answer
// was lost never deletes committed output.
func (t *Table) BeginCommit(worker int, id task.AttemptID) ReportResult {
	e := t.entry(id.Task)
	if e == nil || id.Attempt < 1 || id.Attempt > e.attempts {
		return ResultUnknown
	}
	switch {
	case e.state == stateDone && !e.skipped && e.committed == id.Attempt:
		if e.committedWorker != worker {
			return ResultUnknown
		}
		return ResultCommitted
	case e.state == stateCommitting && e.committing.number == id.Attempt:
		if e.committing.worker != worker {
			return ResultUnknown
		}
		return ResultBusy
	case t.Over():
		return ResultIgnored
	}
	i := e.liveIndex(id.Attempt)
	if i < 0 {
		return ResultIgnored
	}
	if e.live[i].worker != worker {
		return ResultUnknown
	}
	if e.state == stateCommitting {
		return ResultBusy
	}
	e.committing = e.live[i]
	e.live = append(e.live[:i], e.live[i+1:]...)
	e.state = stateCommitting
	return ResultCommitting
}

// EndCommit ends the commit c that BeginCommit began: with a nil err the
// task is done, with c's counters and server, and its other attempts
// superseded; otherwise the attempt counts as failed with err.
func (t *Table) EndCommit(c Commit, err error, now time.Time) {
	id := c.Attempt
	e := t.entry(id.Task)
	if e == nil || e.state != stateCommitting || e.committing.number != id.Attempt {
		return
	}
	a := e.committing
	if err != nil {
		t.history.ended(id, now, OutcomeFailed, err.Error())
		e.state = stateRunning
		t.recordFailure(e, err.Error(), true, now)
		return
	}
	t.history.ended(id, now, OutcomeCommitted, "")
	for _, other := range e.live {
		t.history.ended(task.AttemptID{Task: e.id, Attempt: other.number}, now, OutcomeSuperseded,
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

// takeLive removes attempt id of worker from its task's live attempts. It
// returns the task, or nil and why not.
func (t *Table) takeLive(worker int, id task.AttemptID) (*taskEntry, ReportResult) {
	e := t.entry(id.Task)
	if e == nil || id.Attempt < 1 || id.Attempt > e.attempts {
		return nil, ResultUnknown
	}
	if t.Over() {
		return nil, ResultIgnored
	}
	i := e.liveIndex(id.Attempt)
	if i < 0 {
		return nil, ResultIgnored
	}
	if e.live[i].worker != worker {
		return nil, ResultUnknown
	}
	e.live = append(e.live[:i], e.live[i+1:]...)
	return e, 0
}

// Fail records that a live attempt failed with reason; the task is retried
// unless it has now failed more often than the policy allows, which fails
// the job.
func (t *Table) Fail(worker int, id task.AttemptID, reason string, now time.Time) ReportResult {
	e, result := t.takeLive(worker, id)
	if e == nil {
		return result
	}
	t.history.ended(id, now, OutcomeFailed, reason)
	t.recordFailure(e, reason, true, now)
	return ResultFailed
}

// Release ends a live attempt without holding it against its task: it
// gave way to re-run lost map outputs, or could not read one. The task is
// handed out again.
func (t *Table) Release(worker int, id task.AttemptID, reason string, now time.Time) ReportResult {
	e, result := t.takeLive(worker, id)
	if e == nil {
		return result
	}
	t.history.ended(id, now, OutcomeReleased, reason)
	if len(e.live) == 0 && e.state == stateRunning {
		t.set(e.id.Kind).queue(e, now)
	}
	return ResultReleased
}

// LostResult says what a report of a lost map output did.
type LostResult uint8

// The results of reporting a lost map output.
const (
	// LostRerun: the output was the committed one; its map runs again.
	LostRerun LostResult = iota + 1
	// LostStale: the output is no longer the committed one (already
	// reported, or never committed): nothing changes.
	LostStale
)

// OutputLost records that map attempt lost committed an output that
// cannot be read, for reason. The map task goes back to idle, ahead of any
// reduce task, its counters are taken back from the totals, and the loss
// counts as a failure of the map task: an output lost more often than the
// policy allows fails the job, naming the input. It does not skip the
// input, even with skipBadInputs: the input is not to blame.
func (t *Table) OutputLost(lost task.AttemptID, reason string, now time.Time) LostResult {
	e := t.entry(lost.Task)
	if e == nil || lost.Task.Kind != task.Map || e.state != stateDone || e.skipped || e.committed != lost.Attempt || t.Over() {
		return LostStale
	}
	t.history.lost(lost, now, reason)
	s := &t.maps
	s.done--
	e.committed, e.committedWorker = 0, 0
	t.takeBack(e)
	t.mapsRerun++
	t.mapCommitsVersion++
	t.recordFailure(e, fmt.Sprintf("output of attempt %d lost: %s", lost.Attempt, reason), false, now)
	return LostRerun
}

// LoseServer records that server, where committed map outputs are
// served, is gone, for reason: every map output it served is lost (see
// OutputLost) and its map task runs again, unless the job is over. It
// returns the map attempts whose outputs were lost, in task order. The
// shared folder ("") is never lost.
func (t *Table) LoseServer(server string, reason string, now time.Time) []task.AttemptID {
	if server == "" {
		return nil
	}
	var lost []task.AttemptID
	for m := range t.maps.tasks {
		e := &t.maps.tasks[m]
		if e.state != stateDone || e.skipped || e.server != server {
			continue
		}
		id := task.AttemptID{Task: e.id, Attempt: e.committed}
		if t.OutputLost(id, reason, now) == LostRerun {
			lost = append(lost, id)
		}
	}
	return lost
}

// recordFailure counts a failed or lost attempt (or a lost output) of e,
// whose live list no longer holds it, and requeues or fails as the policy
// says. A map task may be skipped instead when mayskip and the policy
// allows.
func (t *Table) recordFailure(e *taskEntry, reason string, maySkip bool, now time.Time) {
	if t.countFailure(e, reason, maySkip, now) {
		return
	}
	t.requeue(e, now)
}

// countFailure counts a failure of e. It returns true if that was one too
// many: the job failed, or (when maySkip and the policy allows) the map
// task was skipped.
func (t *Table) countFailure(e *taskEntry, reason string, maySkip bool, now time.Time) bool {
	e.failures++
	e.lastError = reason
	if t.policy.maxFailures < 0 || e.failures <= t.policy.maxFailures {
		return false
	}
	if maySkip && t.policy.skipBadInputs && e.id.Kind == task.Map {
		e.skipped = true
		e.lastError = fmt.Sprintf("skipped after %d failures; last: %s", e.failures, reason)
		t.newlySkipped = append(t.newlySkipped, e.id)
		t.markDone(e, 0, 0, now)
		return true
	}
	what := e.id.String()
	if e.id.Kind == task.Map {
		what += fmt.Sprintf(" (input %s)", e.input)
	}
	t.failure = fmt.Errorf("%s failed %d times; last: %s", what, e.failures, reason)
	return true
}

// requeue queues e again once an attempt of it ended without committing,
// unless another attempt is live or committing.
func (t *Table) requeue(e *taskEntry, now time.Time) {
	switch {
	case e.state == stateCommitting:
		// Another attempt's commit under way decides the task.
	case len(e.live) == 0:
		t.set(e.id.Kind).queue(e, now)
	default:
		e.state = stateRunning
	}
}

// Revocation records an attempt the table gave up on.
type Revocation struct {
	Attempt task.AttemptID
	Worker  int
	Reason  string
}

// Expire revokes every attempt whose lease or hard limit has passed and
// returns them, maps then reduces, each in task order: the same events
// give the same revocations, and the same task's failure ends the job.
func (t *Table) Expire(now time.Time) []Revocation {
	t.confirmLosses(now)
	var revoked []Revocation
	for _, s := range []*taskSet{&t.maps, &t.reduces} {
		for _, i := range s.runningInOrder() {
			if t.Over() {
				return revoked
			}
			revoked = t.expireTask(&s.tasks[i], now, revoked)
		}
	}
	return revoked
}

func (t *Table) expireTask(e *taskEntry, now time.Time, revoked []Revocation) []Revocation {
	for j := 0; j < len(e.live); {
		a := e.live[j]
		reason := ""
		switch {
		case !now.Before(a.leaseUntil):
			reason = fmt.Sprintf("no heartbeat for %v", t.policy.lease)
		case t.policy.hardLimit > 0 && now.Sub(a.started) >= t.policy.hardLimit:
			reason = fmt.Sprintf("ran longer than %v", t.policy.hardLimit)
		default:
			j++
			continue
		}
		e.live = append(e.live[:j], e.live[j+1:]...)
		id := task.AttemptID{Task: e.id, Attempt: a.number}
		t.history.ended(id, now, OutcomeRevoked, reason)
		revoked = append(revoked, Revocation{Attempt: id, Worker: a.worker, Reason: reason})
		if e.state == stateCommitting {
			continue // the commit under way decides the task
		}
		reason = fmt.Sprintf("attempt %d on worker %d: %s", a.number, a.worker, reason)
		if now.Before(a.leaseUntil) {
			// The hard limit: the worker was alive and heartbeating, so
			// the task is to blame.
			t.recordFailure(e, reason, true, now)
		} else {
			// A lost lease counts only if its worker stays silent.
			t.unconfirmed = append(t.unconfirmed, leaseLoss{task: e.id, worker: a.worker, reason: reason,
				until: now.Add(t.policy.lease)})
			t.requeue(e, now)
		}
		if t.failure != nil {
			return revoked
		}
	}
	return revoked
}

// leaseLoss is an attempt revoked because its lease ran out, not yet
// counted against its task: it counts only if its worker stays silent
// until the loss is confirmed.
type leaseLoss struct {
	task   task.ID
	worker int
	reason string
	// until is when the loss counts, if the worker is not heard from.
	until time.Time
}

// Heard records that worker called: it is alive, so the leases it lost
// were lost to circumstances (a starved network, a stall), not to its
// task, and are forgiven. It returns how many were.
func (t *Table) Heard(worker int) int {
	forgiven := 0
	t.unconfirmed = slices.DeleteFunc(t.unconfirmed, func(l leaseLoss) bool {
		if l.worker == worker {
			forgiven++
			return true
		}
		return false
	})
	return forgiven
}

// confirmLosses counts every unconfirmed lease loss whose worker stayed
// silent until now: it is gone, most likely killed by its task (a Map that
// exits, a crash in cgo, the OOM killer). A task done meanwhile is not
// held to it.
func (t *Table) confirmLosses(now time.Time) {
	t.unconfirmed = slices.DeleteFunc(t.unconfirmed, func(l leaseLoss) bool {
		if now.Before(l.until) {
			return false
		}
		if e := t.entry(l.task); !t.Over() && e.state != stateDone && e.state != stateCommitting {
			t.countFailure(e, l.reason+"; its worker was not heard from again", true, now)
		}
		return true
	})
}

// NextDeadline returns the earliest time at which Expire could revoke an
// attempt, and false if no attempt is live.
func (t *Table) NextDeadline() (time.Time, bool) {
	var next time.Time
	found := false
	for _, l := range t.unconfirmed {
		if !found || l.until.Before(next) {
			next, found = l.until, true
		}
	}
	for _, s := range []*taskSet{&t.maps, &t.reduces} {
		for i := range s.running {
			for _, a := range s.tasks[i].live {
				d := a.leaseUntil
				if t.policy.hardLimit > 0 {
					if hard := a.started.Add(t.policy.hardLimit); hard.Before(d) {
						d = hard
					}
				}
				if !found || d.Before(next) {
					next, found = d, true
				}
			}
		}
	}
	return next, found
}
