package coordinator

import (
	"fmt"
	"time"
)

// loseSilentWorkersLocked loses every worker with a server that is no
// longer alive, and with it the map outputs it served (the paper's rule):
// their tasks run again.
func (c *Coordinator) loseSilentWorkersLocked(now time.Time) {
	rerun := 0
	for _, w := range c.workers.loseSilent(now) {
		c.log.Warn("worker lost; the map outputs it served run again", "worker", w.id, "host", w.host, "server", w.server)
		reason := fmt.Sprintf("worker %d on %s (serving %s) lost: no call for %v", w.id, w.host, w.server, c.workers.lease)
		rerun += len(c.table.LoseServer(w.server, reason, now))
	}
	if rerun > 0 {
		c.logFailureLocked()
		c.notifyLocked()
	}
}

// reapLeases revokes expired attempts and loses silent workers as their
// deadlines pass.
//
// A reap scans every running attempt and every worker, so the reaper
// reaps at its next deadline, not at every change of the table: at
// thousands of tasks a second, scanning at each would be most of the
// coordinator's work. That is safe because a change makes no deadline
// sooner than a lease (or the task timeout) from now, later than the next
// deadline whenever that is closer: only when there is none, or it is
// further away, does the reaper wake at changes too, to look again. And
// it waits at least minReapGap between reaps: at thousands of workers,
// whose deadlines come microseconds apart, a lease runs out at most that
// late, against a scan of them all thousands of times a second.
func (c *Coordinator) reapLeases() {
	var lastReap time.Time
	for {
		c.mu.Lock()
		if c.table.Over() {
			c.mu.Unlock()
			return
		}
		now := time.Now()
		next, ok := c.reapLocked(now)
		changed := c.changed
		// Leases only grow (timing.go): a change makes no deadline sooner
		// than the current lease from now.
		soonest := c.timing.lease
		if c.cfg.TaskTimeout > 0 {
			soonest = min(soonest, c.cfg.TaskTimeout)
		}
		c.unlockAndPersist(record{})
		lastReap = now

		var timer *time.Timer
		var timeout <-chan time.Time
		if ok {
			timer = time.NewTimer(time.Until(next))
			timeout = timer.C
			if !next.After(now.Add(soonest)) {
				changed = nil
			}
		}
		select {
		case <-changed:
		case <-timeout:
		case <-c.closed:
		}
		if timer != nil {
			timer.Stop()
		}
		select {
		case <-c.closed:
			return
		default:
		}
		gap := time.NewTimer(time.Until(lastReap.Add(minReapGap)))
		select {
		case <-gap.C:
		case <-c.closed:
			gap.Stop()
			return
		}
	}
}

// minReapGap is the least time between two reaps.
const minReapGap = 100 * time.Millisecond

// reapLocked revokes the attempts expired at now and loses the workers
// silent since a lease, and returns when it next has work, if ever.
func (c *Coordinator) reapLocked(now time.Time) (time.Time, bool) {
	before := c.table.Progress()
	revoked := c.table.Expire(now)
	for _, r := range revoked {
		c.log.Warn("attempt revoked", "attempt", r.Attempt, "worker", r.Worker, "reason", r.Reason)
	}
	// A confirmed lease loss may have failed the job or skipped an input
	// without revoking anything.
	if len(revoked) > 0 || c.table.Progress() != before || c.table.Over() {
		c.logFailureLocked()
		c.notifyLocked()
	}
	c.loseSilentWorkersLocked(now)
	next, ok := c.table.NextDeadline()
	if w, wok := c.workers.nextLoss(); wok && (!ok || w.Before(next)) {
		next, ok = w, true
	}
	return next, ok
}
