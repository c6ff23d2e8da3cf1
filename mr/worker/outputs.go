package worker

import (
	"os"
	"path/filepath"
	"sync"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// heldOutputs records the map outputs this worker holds in its local
// folder: the ones the coordinator said committed, which it serves to
// reducers, and the ones whose fate it could not learn. When the job is
// over the worker removes them all, since the coordinator cannot reach a
// folder of this machine's.
type heldOutputs struct {
	dir string

	// mu guards committed and unknown.
	mu        sync.Mutex
	committed map[task.AttemptID]bool
	unknown   map[task.AttemptID]bool
}

func newHeldOutputs(dir string) *heldOutputs {
	return &heldOutputs{dir: dir, committed: make(map[task.AttemptID]bool), unknown: make(map[task.AttemptID]bool)}
}

// path returns where map attempt id's output is.
func (h *heldOutputs) path(id task.AttemptID) string {
	return filepath.Join(h.dir, jobfiles.Intermediate(id.Task.Index, id.Attempt))
}

// add records map attempt id's output as committed, or else of unknown
// fate: its report is on its way or went unanswered.
func (h *heldOutputs) add(id task.AttemptID, committed bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if committed {
		h.committed[id] = true
		delete(h.unknown, id)
	} else {
		h.unknown[id] = true
	}
}

// forget stops serving map attempt id's output: the coordinator said it
// did not commit, and its file is about to be removed.
func (h *heldOutputs) forget(id task.AttemptID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.committed, id)
	delete(h.unknown, id)
}

// Lookup returns the path of a map output this worker holds that
// committed, or may have (its report went unanswered, so a restarted
// coordinator may have it in its journal): the only files its server hands
// out. Reducers ask only for the attempts the coordinator says committed.
func (h *heldOutputs) Lookup(mapTask, attempt int) (string, bool) {
	id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: mapTask}, Attempt: attempt}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.committed[id] && !h.unknown[id] {
		return "", false
	}
	return h.path(id), true
}

// removeAll removes every output recorded: the job is over.
func (h *heldOutputs) removeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range []map[task.AttemptID]bool{h.committed, h.unknown} {
		for id := range set {
			os.Remove(h.path(id))
			delete(set, id)
		}
	}
}
