package table

import (
	"time"

	"6.5840/mr/task"
)

// Assign hands worker an attempt, if any is due: an idle map task first,
// then (once reducing) an idle reduce task, else a backup attempt of a
// straggler.
func (t *Table) Assign(worker int, now time.Time) (Assignment, bool) {
	if t.Over() {
		return Assignment{}, false
	}
	if t.order.holdsMaps() {
		return t.assignSample(worker, now)
	}
	if i, ok := t.nextMapFor(worker); ok {
		return t.start(&t.maps, i, worker, now, false), true
	}
	if t.reducing {
		if i, ok := t.reduces.nextIdle(); ok {
			return t.start(&t.reduces, i, worker, now, false), true
		}
	}
	s := &t.reduces
	if t.maps.done < len(t.maps.tasks) {
		s = &t.maps
	}
	if i, ok := t.straggler(s, worker, now); ok {
		return t.start(s, i, worker, now, true), true
	}
	return Assignment{}, false
}

// Map tasks are handed out in chunks of consecutive indexes: a worker
// that took map task i takes i+1 next, while that is idle and in the same
// chunk. The queue starts with the first task of every chunk, then the
// second of every chunk, and so on, so that workers asking at once start
// on different chunks. A reducer learns the map outputs as runs of
// consecutive tasks committed by one attempt number on one server; at a
// million map tasks on ten thousand workers, tasks handed out one by one
// make a run each, and every reducer gathers a million of them. Chunks
// divide that by their length.
const (
	// minHandOutChunks is how many chunks a job has at least: more than
	// the workers of the largest cluster, so that each may have its own.
	minHandOutChunks = 1 << 16
	// maxHandOutChunk bounds a chunk's length, so that the tail of the
	// map phase, when workers take what other chunks have left, is short.
	maxHandOutChunk = 64
)

// handOutChunk returns the length of the hand-out chunks of a job of
// maps map tasks: 1 (every task on its own, in index order) up to
// maxHandOutChunk tasks.
func handOutChunk(maps int) int { return min(max(maps/minHandOutChunks, 1), maxHandOutChunk) }

// nextMapFor returns the map task to hand worker next: the one after its
// last, if that is idle and in the same chunk, else the next in the queue.
func (t *Table) nextMapFor(worker int) (int, bool) {
	chunk := handOutChunk(len(t.maps.tasks))
	i, ok := t.nextMap[worker]
	if chunk == 1 || !ok || i%chunk == 0 || i >= len(t.maps.tasks) || t.maps.tasks[i].state != StateIdle {
		if i, ok = t.maps.nextIdle(); !ok {
			return 0, false
		}
	}
	if chunk > 1 {
		if t.nextMap == nil {
			t.nextMap = make(map[int]int)
		}
		t.nextMap[worker] = i + 1
	}
	return i, true
}

// nextIdle pops the next idle task off the queue.
func (s *taskSet) nextIdle() (int, bool) {
	for len(s.idle) > 0 {
		i := s.idle[0]
		s.idle = s.idle[1:]
		if s.tasks[i].state == StateIdle {
			return i, true
		}
	}
	return 0, false
}

func (t *Table) start(s *taskSet, i, worker int, now time.Time, backup bool) Assignment {
	e := &s.tasks[i]
	e.attempts++
	e.state = StateRunning
	e.live = append(e.live, attempt{
		number:     int(e.attempts),
		worker:     worker,
		started:    now,
		leaseUntil: now.Add(t.policy.Lease),
		backup:     backup,
	})
	s.running[i] = struct{}{}
	id := task.AttemptID{Task: e.id, Attempt: int(e.attempts)}
	e.lastRecord = t.history.started(id, worker, now, backup, e.lastRecord)
	return Assignment{Worker: worker, Attempt: id, Input: s.input(i), Backup: backup}
}

// straggler picks a running task of s that deserves a backup attempt on
// worker: it has a single live attempt, on another worker, running much
// longer than the committed tasks of its kind took on average. Of tasks
// as old, the lowest index wins.
//
// A scan that finds none notes how soon one could be found: no attempt
// is a straggler before it is BackupMinAge old. Until then, the workers
// that ask while none is idle (thousands of them at the end of a phase)
// cost no scan of every running task.
func (t *Table) straggler(s *taskSet, worker int, now time.Time) (int, bool) {
	if t.policy.BackupFactor <= 0 || s.committedCount == 0 || now.Before(s.noStragglerBefore) {
		return 0, false
	}
	mean := s.committedTime / time.Duration(s.committedCount)
	threshold := max(time.Duration(t.policy.BackupFactor*float64(mean)), t.policy.BackupMinAge)
	best, bestAge := 0, time.Duration(0)
	oldest := now
	for i := range s.running {
		e := &s.tasks[i]
		for _, a := range e.live {
			if a.started.Before(oldest) {
				oldest = a.started
			}
		}
		if e.state != StateRunning || len(e.live) != 1 || e.live[0].worker == worker {
			continue
		}
		age := now.Sub(e.live[0].started)
		if age > threshold && (age > bestAge || age == bestAge && i < best) {
			best, bestAge = i, age
		}
	}
	if bestAge == 0 {
		s.noStragglerBefore = oldest.Add(t.policy.BackupMinAge)
	}
	return best, bestAge > 0
}
