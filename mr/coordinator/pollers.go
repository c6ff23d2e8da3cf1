package coordinator

import "container/list"

// pollers are the GetTask calls waiting for a task, in arrival order. A
// change of the table wakes one of them, not all: at thousands of idle
// workers, waking every poller at every report would be most of the
// coordinator's work, under its lock. A poller that finds a task wakes
// the next, so that a change that frees many tasks (the reduce phase
// starting, a lost worker's maps) reaches as many pollers, one after
// another; one that finds none waits again, and every poller looks again
// when its poll times out. Idle tasks go to any worker, so the chain
// misses none; a backup attempt, which is never its original's worker's,
// may wait for the next change or poll. The end of the job wakes them
// all. The Coordinator's lock guards it.
type pollers struct {
	waiting list.List // of *poller
}

// poller is one waiting GetTask call.
type poller struct {
	// wake is closed when the poller is woken, after it left the queue.
	wake chan struct{}
	elem *list.Element
}

// add queues a new poller and returns it.
func (p *pollers) add() *poller {
	w := &poller{wake: make(chan struct{})}
	w.elem = p.waiting.PushBack(w)
	return w
}

// remove takes w out of the queue and reports whether it was still there:
// false means it was woken meanwhile, and the caller must pass the wake on
// if it does not act on it.
func (p *pollers) remove(w *poller) bool {
	if w.elem == nil {
		return false
	}
	p.waiting.Remove(w.elem)
	w.elem = nil
	return true
}

// wakeOne wakes the poller that has waited longest, if any.
func (p *pollers) wakeOne() {
	if e := p.waiting.Front(); e != nil {
		w := p.waiting.Remove(e).(*poller)
		w.elem = nil
		close(w.wake)
	}
}

// wakeAll wakes every poller.
func (p *pollers) wakeAll() {
	for p.waiting.Len() > 0 {
		p.wakeOne()
	}
}
