package table

import (
	"time"

	"6.5840/mr/task"
	"6.5840/mr/totalorder"
)

// sampling is the sampling phase of a job in total order: its sample
// tasks, the keys their committed attempts sampled, and the split points
// picked from them. The phase runs before any map task: while it lasts
// only sample tasks are handed out, and once its split points are picked
// map tasks wait until they are durable (SplitsDurable), so that no map
// output is ever partitioned by split points a restart could lose.
type sampling struct {
	tasks taskSet
	// active is set from NewSampled until the split points are picked.
	active bool
	keys   []string
	// picked is set once the split points are known; durable once the
	// coordinator has made them so (or restored them from its journal).
	picked, durable bool
	splits          []string
}

// holdsMaps reports whether map tasks must wait: sampling is under way,
// or its split points are not durable yet.
func (s *sampling) holdsMaps() bool { return s.active || s.picked && !s.durable }

// NewSampled returns a table like New's for a job in total order: its
// map tasks wait for a sampling phase of one sample task per samples
// input, whose committed keys (Commit.Keys) give the split points. A job
// without samples picks no split points: every key goes to partition 0.
func NewSampled(inputs, samples []task.Input, nReduce int, p Policy, now time.Time) *Table {
	t := newUnqueued(inputs, samples, nReduce, p, now)
	t.order.active = true
	for i := range t.order.tasks.tasks {
		t.order.tasks.queue(&t.order.tasks.tasks[i], now)
	}
	if len(samples) == 0 {
		t.pickSplits()
	}
	return t
}

// assignSample hands worker a sample attempt, or a backup of a
// straggling one, while sampling.
func (t *Table) assignSample(worker int, now time.Time) (Assignment, bool) {
	if !t.order.active {
		return Assignment{}, false
	}
	s := &t.order.tasks
	if i, ok := s.nextIdle(); ok {
		return t.start(s, i, worker, now, false), true
	}
	if i, ok := t.straggler(s, worker, now); ok {
		return t.start(s, i, worker, now, true), true
	}
	return Assignment{}, false
}

// pickSplits ends sampling, every sample task done (committed or
// skipped): it picks the split points from the sampled keys, for the
// coordinator to make durable (Changes.SplitsPicked).
func (t *Table) pickSplits() {
	t.order.active = false
	t.order.picked = true
	t.order.splits = totalorder.Splits(t.order.keys, len(t.reduces.tasks))
	t.order.keys = nil
	t.changes.SplitsPicked, t.changes.Splits = true, t.order.splits
}

// SplitsDurable says the split points that Changes handed out are
// durable: map tasks are handed out from now on.
func (t *Table) SplitsDurable(now time.Time) {
	if !t.order.picked || t.order.durable {
		return
	}
	t.order.durable = true
	t.startMapping(now)
}

// RestoreSplits ends the sampling phase with the split points a journal
// recorded before a coordinator restart, so that the map outputs it
// committed stay valid. It must be called on a fresh table from
// NewSampled, before Restore.
func (t *Table) RestoreSplits(splits []string, now time.Time) {
	s := &t.order.tasks
	for i := range s.tasks {
		e := &s.tasks[i]
		e.state, e.skipped = StateDone, true
	}
	s.done, s.idle = len(s.tasks), nil
	t.order = sampling{tasks: *s, picked: true, durable: true, splits: splits}
	t.startMapping(now)
}

// Splits returns the split points of a job in total order, with true
// once they are durable; false until then, and for any other job.
func (t *Table) Splits() ([]string, bool) {
	return t.order.splits, t.order.durable
}

// Sampling reports whether the sampling phase is under way.
func (t *Table) Sampling() bool { return t.order.active }
