package mr

import "sync"

// counts holds the counts made by the running task since the worker last
// took them.
var counts struct {
	mu sync.Mutex // guards m
	m  map[string]int64
}

// Count adds delta to the counter name. A worker runs one task at a time
// and ships its counts with the task's result; only the counts of the
// attempt that commits a task reach the job's totals, so a task that runs
// twice is counted once.
func Count(name string, delta int64) {
	counts.mu.Lock()
	defer counts.mu.Unlock()
	if counts.m == nil {
		counts.m = make(map[string]int64)
	}
	counts.m[name] += delta
}

// TakeCounts returns the counts made since the last call and resets them.
// The engine calls it around each task; applications have no need to.
func TakeCounts() map[string]int64 {
	counts.mu.Lock()
	defer counts.mu.Unlock()
	m := counts.m
	counts.m = nil
	return m
}
