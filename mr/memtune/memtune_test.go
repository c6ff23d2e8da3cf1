package memtune

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLimitIsTheFloorUntilTheLiveHeapOutgrowsIt(t *testing.T) {
	const floor = 512 << 20
	require.Equal(t, int64(floor), Limit(floor, 0))
	require.Equal(t, int64(floor), Limit(floor, floor/Headroom))
	require.Equal(t, int64(2*floor), Limit(floor, floor))
	require.Equal(t, int64(math.MaxInt64), Limit(floor, math.MaxUint64))
}

// currentLimit returns the soft memory limit without changing it.
func currentLimit() int64 { return debug.SetMemoryLimit(-1) }

// collectUntil runs collections until the follower has adjusted the limit
// after at least one of them, and returns the limit.
func collectUntil(t *testing.T, f *Follower) int64 {
	t.Helper()
	before := f.Adjusted()
	// Cleanups run on their own goroutine some time after the cycle that
	// freed the sentinel; a bound keeps a broken follower from hanging.
	deadline := time.Now().Add(10 * time.Second)
	for f.Adjusted() == before {
		require.True(t, time.Now().Before(deadline), "no adjustment after a collection")
		runtime.GC()
		runtime.Gosched()
	}
	return currentLimit()
}

func TestFollowKeepsTheLimitAboveTheLiveHeap(t *testing.T) {
	old := currentLimit()
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	const floor, held = 1 << 20, 64 << 20

	f := Follow(floor)
	t.Cleanup(f.Stop)
	live := make([]byte, held)
	for i := range live {
		live[i] = byte(i)
	}
	require.GreaterOrEqual(t, collectUntil(t, f), int64(Headroom*held), "the limit did not follow a large live heap up")
	runtime.KeepAlive(live)

	live = nil
	runtime.GC() // the cycle that frees live; the next one measures without it
	require.Less(t, collectUntil(t, f), int64(held), "the limit did not come back down when the heap shrank")
}

func TestStopLeavesTheLimitAlone(t *testing.T) {
	old := currentLimit()
	t.Cleanup(func() { debug.SetMemoryLimit(old) })

	f := Follow(1 << 20)
	f.Stop()
	set := f.Adjusted()
	debug.SetMemoryLimit(old)
	for range 3 {
		runtime.GC()
	}
	require.Equal(t, set, f.Adjusted())
	require.Equal(t, old, currentLimit())
}
