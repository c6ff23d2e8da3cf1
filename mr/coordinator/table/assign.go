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
	if i, ok := t.maps.nextIdle(); ok {
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
