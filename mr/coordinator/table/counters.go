package table

import (
	"fmt"
	"maps"
	"math"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// Limits on the counters a report may carry. A count is an amount of
// something an attempt did, so it is never negative and never beyond
// MaxCounterValue (2^53: 8 PiB of bytes, and the largest integer a JSON
// reader of the report keeps exactly).
const (
	MaxCounters     = 1000
	MaxCounterName  = 200
	MaxCounterValue = 1 << 53
)

// CheckCounters returns why an attempt's counters cannot be added to the
// totals, or nil: too many names, an over-long name, a negative or absurd
// value, or one that would overflow its total.
func (t *Table) CheckCounters(counters map[string]int64) error {
	if len(counters) > MaxCounters {
		return fmt.Errorf("%d counters; at most %d", len(counters), MaxCounters)
	}
	for name, n := range counters {
		switch {
		case len(name) > MaxCounterName:
			return fmt.Errorf("a counter name of %d bytes; at most %d", len(name), MaxCounterName)
		case n < 0:
			return fmt.Errorf("counter %q is negative (%d)", name, n)
		case n > MaxCounterValue:
			return fmt.Errorf("counter %q is %d; at most %d", name, n, int64(MaxCounterValue))
		case n > math.MaxInt64-t.counters[name]:
			return fmt.Errorf("counter %q would overflow its total", name)
		}
	}
	return nil
}

// Counters returns the sums of the counters of committed attempts.
func (t *Table) Counters() map[string]int64 { return maps.Clone(t.counters) }

// MapsRerun returns how many committed map outputs were found lost.
func (t *Table) MapsRerun() int { return t.mapsRerun }

// keep records what commit c of e holds: its counters, added to the
// totals, which stay at MaxInt64 rather than wrap (two commits checked at
// once could together pass it), and for a map task its server.
func (t *Table) keep(e *taskEntry, c Commit) {
	if e.id.Kind == task.Sample {
		// A sample ran Map over part of an input that its map task reads
		// whole: its counts would be counted twice.
		t.order.keys = append(t.order.keys, c.Keys...)
		return
	}
	for name, n := range c.Counters {
		if n > math.MaxInt64-t.counters[name] {
			t.counters[name] = math.MaxInt64
			continue
		}
		t.counters[name] += n
	}
	if e.id.Kind == task.Map {
		e.server = t.intern(c.Server)
		t.setExtent(e.id.Index, c.Extent)
		if len(c.Counters) > 0 {
			e.counters = c.Counters
		}
	}
}

// intern returns server as the table keeps it: one string per server,
// not one per committed map output read off the wire.
func (t *Table) intern(server string) string {
	if kept, ok := t.servers[server]; ok {
		return kept
	}
	if t.servers == nil {
		t.servers = make(map[string]string)
	}
	t.servers[server] = server
	return server
}

// takeBack removes the counters of map task e, whose committed output was
// lost, from the totals (its next commit adds its own) and forgets where
// it was served.
func (t *Table) takeBack(e *taskEntry) {
	for name, n := range e.counters {
		t.counters[name] -= n
	}
	e.counters, e.server = nil, ""
	t.setExtent(e.id.Index, jobfiles.Extent{})
}
