package coordinator

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"6.5840/mr/protocol"
	"6.5840/mr/status"
)

// workerInfo is what the coordinator knows of a registered worker.
type workerInfo struct {
	host string
	pid  int
	// session is the token the worker's every request must carry.
	session string
	// server is where the worker serves its map output; "" if it leaves
	// it in the shared folder.
	server   string
	lastSeen time.Time
	// poll is the longest this worker was told a poll may wait.
	poll     time.Duration
	toldExit bool
	// lost is set once a worker with a server was found not alive: its
	// map output is lost, and it must register again.
	lost bool
}

// registry holds the job's workers and the one rule of their liveness:
// a worker is alive while it has been heard from (any request) within a
// lease. Scheduling, the status page and the report all go by it:
//
//   - A worker with a server that is not alive is lost (loseSilent): the
//     map output it serves went with it, and it must register again. A
//     worker in the shared folder loses nothing when silent, and is
//     answered as before when it calls again.
//   - The status page and the report show a worker that is not alive as
//     lost.
//   - After the job, the coordinator waits for the alive workers it has
//     not yet told to exit (awaited).
//
// A registry is not safe for concurrent use; time is passed in.
type registry struct {
	lease time.Duration
	byID  map[protocol.WorkerID]*workerInfo
	// last is the highest id given out; ids are never reused, across
	// coordinator starts too.
	last protocol.WorkerID
}

// newRegistry returns an empty registry whose ids start after last.
func newRegistry(lease time.Duration, last protocol.WorkerID) *registry {
	return &registry{lease: lease, byID: make(map[protocol.WorkerID]*workerInfo), last: last}
}

// add registers w, heard from at now, under a new id.
func (r *registry) add(w workerInfo, now time.Time) protocol.WorkerID {
	r.last++
	w.lastSeen = now
	r.byID[r.last] = &w
	return r.last
}

// count returns how many workers registered with this start.
func (r *registry) count() int { return len(r.byID) }

// get returns worker id, or false if it never registered here.
func (r *registry) get(id protocol.WorkerID) (*workerInfo, bool) {
	w, ok := r.byID[id]
	return w, ok
}

// heard records that w called at now.
func (r *registry) heard(w *workerInfo, now time.Time) { w.lastSeen = now }

// alive reports whether w was heard from within a lease of now: the rule.
func (r *registry) alive(w *workerInfo, now time.Time) bool { return now.Before(r.deadline(w)) }

// deadline is when w stops being alive unless it is heard from.
func (r *registry) deadline(w *workerInfo) time.Time { return w.lastSeen.Add(r.lease) }

// losable reports whether w could still be lost: it serves map output,
// and was neither lost nor told to exit.
func losable(w *workerInfo) bool { return w.server != "" && !w.lost && !w.toldExit }

// lostWorker is a worker found lost.
type lostWorker struct {
	id protocol.WorkerID
	*workerInfo
}

// loseSilent marks as lost every worker with a server that is no longer
// alive, and returns them in id order.
func (r *registry) loseSilent(now time.Time) []lostWorker {
	var lost []lostWorker
	for id, w := range r.byID {
		if losable(w) && !r.alive(w, now) {
			w.lost = true
			lost = append(lost, lostWorker{id, w})
		}
	}
	slices.SortFunc(lost, func(a, b lostWorker) int { return cmp.Compare(a.id, b.id) })
	return lost
}

// nextLoss returns the earliest time at which loseSilent could lose a
// worker, and false if no worker could be lost.
func (r *registry) nextLoss() (time.Time, bool) {
	var next time.Time
	found := false
	for _, w := range r.byID {
		if !losable(w) {
			continue
		}
		if d := r.deadline(w); !found || d.Before(next) {
			next, found = d, true
		}
	}
	return next, found
}

// workerRow is a copy of what the registry knows of a worker.
type workerRow struct {
	id   int
	info workerInfo
}

// copies returns a copy of every worker, in id order.
func (r *registry) copies() []workerRow {
	rows := make([]workerRow, 0, len(r.byID))
	for _, id := range slices.Sorted(maps.Keys(r.byID)) {
		rows = append(rows, workerRow{int(id), *r.byID[id]})
	}
	return rows
}

// awaited counts the alive workers not yet told to exit.
func (r *registry) awaited(now time.Time) int {
	n := 0
	for _, w := range r.byID {
		if !w.toldExit && r.alive(w, now) {
			n++
		}
	}
	return n
}

// state returns what the status page and the report call w at now: it
// exited when told to, is lost when not alive, else busy while it runs an
// attempt, else idle.
func (r *registry) state(w *workerInfo, now time.Time, busy bool) string {
	switch {
	case w.toldExit:
		return status.WorkerExited
	case w.lost || !r.alive(w, now):
		return status.WorkerLost
	case busy:
		return status.WorkerBusy
	default:
		return status.WorkerIdle
	}
}
