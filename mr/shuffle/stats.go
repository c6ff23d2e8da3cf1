package shuffle

import "sync/atomic"

// Stats counts what a Fetcher has done, for a worker's counters.
type Stats struct {
	// Requests is the number of requests sent.
	Requests int64
	// Fetched is the number of sections fetched whole and checked.
	Fetched int64
	// Bytes is the number of section bytes fetched whole and checked
	// (partial replies and MACs are not counted).
	Bytes int64
	// Damaged is the number of replies that failed a check (ErrDamaged).
	Damaged int64
	// Retries is the number of tries FetchAll made after a source's first.
	Retries int64
	// Failed is the number of sources FetchAll gave up on, or did not
	// get to before its context ended.
	Failed int64
}

// counters is the live form of Stats.
type counters struct {
	requests, fetched, bytes, damaged, retries, failed atomic.Int64
}

// snapshot returns the current counts.
func (c *counters) snapshot() Stats {
	return Stats{
		Requests: c.requests.Load(),
		Fetched:  c.fetched.Load(),
		Bytes:    c.bytes.Load(),
		Damaged:  c.damaged.Load(),
		Retries:  c.retries.Load(),
		Failed:   c.failed.Load(),
	}
}
