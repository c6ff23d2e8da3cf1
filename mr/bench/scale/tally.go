package scale

import (
	"sync"
	"sync/atomic"
	"time"

	"6.5840/mr/task"
)

// tally gathers what the simulated workers saw; safe for concurrent use.
type tally struct {
	start time.Time
	// firstHandOut is when the first attempt was handed out, in
	// nanoseconds since start; 0 until then.
	firstHandOut atomic.Int64
	handOuts     atomic.Int64
	// reruns counts attempts handed out beyond a task's first.
	reruns    atomic.Int64
	committed atomic.Int64
	// revoked is V: attempts of live workers revoked or not committed.
	revoked atomic.Int64
	// superseded counts attempts that lost to a backup attempt of their
	// task: not a lease lost to load.
	superseded atomic.Int64
	// relost counts live workers the coordinator no longer knew (it lost
	// them for silence) and that registered again.
	relost atomic.Int64
	// locations counts reduce replies whose map locations were checked.
	locations atomic.Int64
	// maxRuns is the most runs of map locations a reduce attempt
	// gathered; pages counts the pages it asked for after the first.
	maxRuns atomic.Int64
	pages   atomic.Int64
	// toldExit counts workers the coordinator told to exit.
	toldExit atomic.Int64
	// failed counts workers that ended with an error.
	failed  atomic.Int64
	handOut histogram
	beat    histogram

	mu sync.Mutex
	// mu guards the fields below it: the tasks that had a backup
	// attempt, the dropped worker's tasks (its attempt in flight and the
	// maps it committed), and which of them were handed out again.
	backups      map[task.ID]bool
	watched      map[task.ID]int
	rerunWatched map[task.ID]bool
	err          error
}

func newTally() *tally {
	return &tally{start: time.Now(), backups: map[task.ID]bool{}, watched: map[task.ID]int{}, rerunWatched: map[task.ID]bool{}}
}

// handedOut records that attempt a was handed out.
func (t *tally) handedOut(a task.AttemptID, backup bool) {
	t.firstHandOut.CompareAndSwap(0, int64(time.Since(t.start)))
	t.handOuts.Add(1)
	if a.Attempt <= 1 && !backup {
		return
	}
	t.reruns.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if backup {
		t.backups[a.Task] = true
	}
	if at, ok := t.watched[a.Task]; ok && a.Attempt > at {
		t.rerunWatched[a.Task] = true
	}
}

// lostAttempt records that attempt a of a live worker was revoked or did
// not commit: V, unless its task had a backup that beat it.
func (t *tally) lostAttempt(a task.AttemptID) {
	t.mu.Lock()
	superseded := t.backups[a.Task]
	t.mu.Unlock()
	if superseded {
		t.superseded.Add(1)
		return
	}
	t.revoked.Add(1)
}

// watch records that the dropped worker held attempt a (in flight, or
// committed): it must be handed out again.
func (t *tally) watch(a task.AttemptID) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watched[a.Task] = a.Attempt
}

// fail records a worker's error; the first one is kept.
func (t *tally) fail(err error) {
	t.failed.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
	}
}

// firstError returns the first error a worker met, if any.
func (t *tally) firstError() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// watchedRerun returns how many of the dropped worker's tasks there were
// and how many of them were handed out again.
func (t *tally) watchedRerun() (watched, rerun int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.watched), len(t.rerunWatched)
}

// sawRuns records that a reduce attempt gathered n runs of map locations.
func (t *tally) sawRuns(n int) {
	for {
		old := t.maxRuns.Load()
		if int64(n) <= old || t.maxRuns.CompareAndSwap(old, int64(n)) {
			return
		}
	}
}
