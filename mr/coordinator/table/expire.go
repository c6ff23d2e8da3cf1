package table

import (
	"fmt"
	"slices"
	"time"

	"6.5840/mr/task"
)

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
	for _, s := range []*taskSet{&t.order.tasks, &t.maps, &t.reduces} {
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
			reason = fmt.Sprintf("no heartbeat for %v", t.policy.Lease)
		case t.policy.HardLimit > 0 && now.Sub(a.started) >= t.policy.HardLimit:
			reason = fmt.Sprintf("ran longer than %v", t.policy.HardLimit)
		default:
			j++
			continue
		}
		e.live = append(e.live[:j], e.live[j+1:]...)
		id := task.AttemptID{Task: e.id, Attempt: a.number}
		t.history.ended(t.record(id), now, OutcomeRevoked, reason)
		revoked = append(revoked, Revocation{Attempt: id, Worker: a.worker, Reason: reason})
		if e.state == StateCommitting {
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
				until: now.Add(t.policy.Lease)})
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
		if e := t.entry(l.task); !t.Over() && e.state != StateDone && e.state != StateCommitting {
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
	for _, s := range []*taskSet{&t.order.tasks, &t.maps, &t.reduces} {
		for i := range s.running {
			for _, a := range s.tasks[i].live {
				d := a.leaseUntil
				if t.policy.HardLimit > 0 {
					if hard := a.started.Add(t.policy.HardLimit); hard.Before(d) {
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
