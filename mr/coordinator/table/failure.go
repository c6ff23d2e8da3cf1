package table

import (
	"fmt"
	"time"

	"6.5840/mr/task"
)

// takeLive removes attempt id of worker from its task's live attempts. It
// returns the task, or nil and why not.
func (t *Table) takeLive(worker int, id task.AttemptID) (*taskEntry, Decision) {
	e := t.entry(id.Task)
	if e == nil || id.Attempt < 1 || id.Attempt > int(e.attempts) {
		return nil, DecisionUnknown
	}
	if t.Over() {
		return nil, DecisionIgnored
	}
	i := e.liveIndex(id.Attempt)
	if i < 0 {
		return nil, DecisionIgnored
	}
	if e.live[i].worker != worker {
		return nil, DecisionUnknown
	}
	e.live = append(e.live[:i], e.live[i+1:]...)
	return e, 0
}

// Fail records that a live attempt failed with reason; the task is retried
// unless it has now failed more often than the policy allows, which fails
// the job.
func (t *Table) Fail(worker int, id task.AttemptID, reason string, now time.Time) Decision {
	e, decision := t.takeLive(worker, id)
	if e == nil {
		return decision
	}
	t.history.ended(t.record(id), now, OutcomeFailed, reason)
	t.recordFailure(e, reason, true, now)
	return DecisionFailed
}

// Release ends a live attempt without holding it against its task: it
// gave way to re-run lost map outputs, or could not read one. The task is
// handed out again.
func (t *Table) Release(worker int, id task.AttemptID, reason string, now time.Time) Decision {
	e, decision := t.takeLive(worker, id)
	if e == nil {
		return decision
	}
	t.history.ended(t.record(id), now, OutcomeReleased, reason)
	if len(e.live) == 0 && e.state == StateRunning {
		t.set(e.id.Kind).queue(e, now)
	}
	return DecisionReleased
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
	if t.policy.MaxFailures < 0 || int(e.failures) <= t.policy.MaxFailures {
		return false
	}
	if maySkip && t.policy.SkipBadInputs && e.id.Kind != task.Reduce {
		e.skipped = true
		if e.id.Kind == task.Map {
			// A skipped sample is not journaled: sampling runs again
			// after a restart unless its split points were.
			t.changes.Skipped = append(t.changes.Skipped, e.id)
		}
		t.markDone(e, 0, 0, now)
		return true
	}
	what := e.id.String()
	if e.id.Kind != task.Reduce {
		what += fmt.Sprintf(" (input %s)", t.set(e.id.Kind).input(e.id.Index))
	}
	t.Abort(fmt.Errorf("%s failed %d times; last: %s", what, e.failures, reason))
	return true
}

// requeue queues e again once an attempt of it ended without committing,
// unless another attempt is live or committing.
func (t *Table) requeue(e *taskEntry, now time.Time) {
	switch {
	case e.state == StateCommitting:
		// Another attempt's commit under way decides the task.
	case len(e.live) == 0:
		t.set(e.id.Kind).queue(e, now)
	default:
		e.state = StateRunning
	}
}
