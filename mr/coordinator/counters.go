package coordinator

import (
	"fmt"
	"math"

	"6.5840/mr/task"
)

// Limits on the counters a report may carry. A count is an amount of
// something an attempt did, so it is never negative and never beyond
// maxCounterValue (2^53: 8 PiB of bytes, and the largest integer a JSON
// reader of the report keeps exactly).
const (
	maxCounters     = 1000
	maxCounterName  = 200
	maxCounterValue = 1 << 53
)

// checkCountersLocked returns why an attempt's counters cannot be added to
// the totals, or nil: too many names, an over-long name, a negative or
// absurd value, or one that would overflow its total.
func (c *Coordinator) checkCountersLocked(counters map[string]int64) error {
	if len(counters) > maxCounters {
		return fmt.Errorf("%d counters; at most %d", len(counters), maxCounters)
	}
	for name, n := range counters {
		switch {
		case len(name) > maxCounterName:
			return fmt.Errorf("a counter name of %d bytes; at most %d", len(name), maxCounterName)
		case n < 0:
			return fmt.Errorf("counter %q is negative (%d)", name, n)
		case n > maxCounterValue:
			return fmt.Errorf("counter %q is %d; at most %d", name, n, int64(maxCounterValue))
		case n > math.MaxInt64-c.counters[name]:
			return fmt.Errorf("counter %q would overflow its total", name)
		}
	}
	return nil
}

// addCounters adds a committed attempt's counters to the totals, which
// stay at MaxInt64 rather than wrap (two commits checked at once could
// together pass it).
func (c *Coordinator) addCounters(id task.AttemptID, counters map[string]int64) {
	for name, n := range counters {
		if n > math.MaxInt64-c.counters[name] {
			c.counters[name] = math.MaxInt64
			continue
		}
		c.counters[name] += n
	}
	if id.Task.Kind == task.Map && len(counters) > 0 {
		c.mapCounters[id.Task.Index] = counters
	}
}
