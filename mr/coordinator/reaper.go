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
		reason := fmt.Sprintf("worker %d on %s (serving %s) lost: no call for %v", w.id, w.host, w.server, c.cfg.Lease)
		rerun += len(c.table.LoseServer(w.server, reason, now))
	}
	if rerun > 0 {
		c.logFailureLocked()
		c.notifyLocked()
	}
}

// reapLeases revokes expired attempts and loses silent workers as their
// deadlines pass.
func (c *Coordinator) reapLeases() {
	for {
		select {
		case <-c.closed:
			return
		default:
		}
		c.mu.Lock()
		if c.table.Over() {
			c.mu.Unlock()
			return
		}
		next, ok := c.reapLocked(time.Now())
		changed := c.changed
		c.unlockAndPersist(record{})

		var timer *time.Timer
		var timeout <-chan time.Time
		if ok {
			timer = time.NewTimer(time.Until(next))
			timeout = timer.C
		}
		select {
		case <-changed:
		case <-timeout:
		case <-c.closed:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

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
