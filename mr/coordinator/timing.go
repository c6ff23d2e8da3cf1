package coordinator

import "time"

// workersAtBaseTiming is how many workers the configured timing (the
// lease, the heartbeat interval and the poll timeout) serves. Past it all
// three grow in proportion to the workers registered with this start, as
// Hadoop scales its heartbeat interval with the cluster's size: at the
// defaults (heartbeats every 250 ms, polls of 1 s) busy workers then send
// at most 4,000 heartbeats a second, and idle ones at most 1,000 polls,
// however many there are, and a lease stays eight heartbeats long. At
// ten thousand workers a heartbeat comes every 2.5 s and a silent worker
// is lost after 20 s; at a thousand or fewer, as configured.
const workersAtBaseTiming = 1000

// timing is what a worker is told at Register: how often to heartbeat,
// how long a lease is, and how long a poll may wait.
type timing struct {
	interval, lease, poll time.Duration
}

// timingFor returns the timing for a cluster of n workers, from base.
func timingFor(base timing, n int) timing {
	if n <= workersAtBaseTiming {
		return base
	}
	scale := func(d time.Duration) time.Duration {
		return time.Duration(int64(d) * int64(n) / workersAtBaseTiming)
	}
	return timing{interval: scale(base.interval), lease: scale(base.lease), poll: scale(base.poll)}
}

// growTimingLocked sets the timing for the workers registered so far, if
// longer than the timing already given: it never shrinks, so that no
// worker heartbeats less often than its lease needs. Leases of attempts
// and of workers begun from then on are the new length.
func (c *Coordinator) growTimingLocked() {
	t := timingFor(c.baseTiming(), c.workers.count())
	if t.lease <= c.timing.lease {
		return
	}
	c.timing = t
	c.table.SetLease(t.lease)
	c.workers.lease = t.lease
}

// baseTiming is the configured timing.
func (c *Coordinator) baseTiming() timing {
	return timing{interval: c.cfg.HeartbeatInterval, lease: c.cfg.Lease, poll: c.cfg.PollTimeout}
}

// pollTimeout returns the longest a poll of worker w may wait: what it
// was told at Register, or else the configured poll timeout.
func pollTimeout(w *workerInfo, configured time.Duration) time.Duration {
	if w.poll > 0 {
		return w.poll
	}
	return configured
}
