// Package memtune keeps a process's soft memory limit above what its
// live heap needs.
//
// A fixed soft limit keeps a worker's memory small while the live heap is
// small, but once the live heap outgrows it (a Map that holds a large
// input's every pair, say) the collector runs back to back and the task
// slows down many times over. Follow raises the limit after every
// collection to Headroom times the heap that survived it, and lowers it
// back to the floor when that heap shrinks again.
package memtune

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// Headroom is how many times the live heap the limit allows once the live
// heap has outgrown the floor: the heap may then double between
// collections, as it does by default (GOGC=100).
const Headroom = 2

// liveHeapMetric is the heap that survived the last collection.
const liveHeapMetric = "/gc/heap/live:bytes"

// Limit returns the soft memory limit for a live heap of live bytes: the
// floor, or Headroom times the live heap when that is more.
func Limit(floor int64, live uint64) int64 {
	if live > math.MaxInt64/Headroom {
		return math.MaxInt64
	}
	return max(floor, int64(live)*Headroom)
}

// Follower adjusts the soft memory limit after every collection.
type Follower struct {
	floor int64
	// adjusted counts the times the limit was set.
	adjusted atomic.Int64

	// mu guards stopped and sample: once Stop returns, no adjustment is
	// under way and none follows.
	mu      sync.Mutex
	stopped bool
	sample  []metrics.Sample
}

// Follow sets the soft memory limit to Limit(floor, live heap) now and
// after every garbage collection until Stop.
func Follow(floor int64) *Follower {
	f := &Follower{floor: floor, sample: []metrics.Sample{{Name: liveHeapMetric}}}
	f.adjust()
	f.arm()
	return f
}

// Stop stops adjusting the limit; the last one set stays.
func (f *Follower) Stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
}

// Adjusted returns how many times the limit has been set.
func (f *Follower) Adjusted() int64 { return f.adjusted.Load() }

// sentinel is an object nothing refers to: the collector that frees it
// runs its cleanup, which is how Follower hears of every cycle. It holds
// a pointer so that it is never batched with other tiny objects.
type sentinel struct{ _ *byte }

// arm allocates a sentinel whose cleanup adjusts the limit and arms the
// next one.
func (f *Follower) arm() {
	runtime.AddCleanup(&sentinel{}, func(f *Follower) {
		if f.adjust() {
			f.arm()
		}
	}, f)
}

// adjust sets the limit from the live heap, unless stopped; it reports
// whether it was not.
func (f *Follower) adjust() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return false
	}
	metrics.Read(f.sample)
	if f.sample[0].Value.Kind() == metrics.KindUint64 {
		debug.SetMemoryLimit(Limit(f.floor, f.sample[0].Value.Uint64()))
		f.adjusted.Add(1)
	}
	return true
}
