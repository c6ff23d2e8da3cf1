package table

import (
	"fmt"
	"iter"
	"time"

	"6.5840/mr/task"
)

// Outcome is how an attempt ended, as the history records it.
type Outcome uint8

// The outcomes of an attempt.
const (
	OutcomeRunning    Outcome = iota // not ended yet
	OutcomeCommitted                 // its output is the task's
	OutcomeFailed                    // it reported an error or panic
	OutcomeRevoked                   // its lease or time limit ran out
	OutcomeSuperseded                // another attempt of its task committed first
	OutcomeReleased                  // it ended without blame: it gave way, or its input was lost
	OutcomeLost                      // it committed, but its output was lost later
)

func (o Outcome) String() string {
	switch o {
	case OutcomeRunning:
		return "running"
	case OutcomeCommitted:
		return "committed"
	case OutcomeFailed:
		return "failed"
	case OutcomeRevoked:
		return "revoked"
	case OutcomeSuperseded:
		return "superseded"
	case OutcomeReleased:
		return "released"
	case OutcomeLost:
		return "lost"
	default:
		return fmt.Sprintf("outcome(%d)", uint8(o))
	}
}

// AttemptRecord is the history of one attempt.
type AttemptRecord struct {
	ID      task.AttemptID
	Worker  int
	Start   time.Time
	End     time.Time // zero while running
	Outcome Outcome
	Backup  bool
	Error   string
	// Bytes is how much the attempt wrote, as its worker reported.
	Bytes int64
	// Status is the latest status message its application reported.
	Status string
}

// recordsPerBlock is how many attempt records one block of the history
// holds: the history grows a block at a time, so a million attempts are
// never copied to a larger array.
const recordsPerBlock = 4096

// record is one attempt's history, kept small and without pointers (a
// job of a million tasks holds a million of them, and the collector need
// not scan them): times are offsets from the history's epoch, and the
// rare texts, an error or a status, are kept aside in notes.
type record struct {
	start, end time.Duration // end is 0 while running
	bytes      int64
	index      int32 // the task's index
	attempt    int32
	worker     int32
	// previous is 1 + the index of the record of the task's attempt
	// before this one, 0 for its first: a task's attempts are found from
	// its latest (taskEntry.lastRecord) without an index of every attempt.
	previous int32
	kind     task.Kind
	outcome  Outcome
	backup   bool
}

// notes are the texts of one attempt's record.
type notes struct {
	err, status string
}

// history records every attempt of a job, in start order.
type history struct {
	epoch  time.Time
	blocks [][]record
	n      int
	// notes holds the texts of the records that have any, by index.
	notes map[int]notes
}

func newHistory(epoch time.Time) history { return history{epoch: epoch, notes: make(map[int]notes)} }

// at returns record i.
func (h *history) at(i int) *record { return &h.blocks[i/recordsPerBlock][i%recordsPerBlock] }

// started records the start of an attempt whose task's previous record is
// previous (1 + its index, or 0), and returns its own in the same form.
func (h *history) started(id task.AttemptID, worker int, now time.Time, backup bool, previous int32) int32 {
	if h.n%recordsPerBlock == 0 {
		h.blocks = append(h.blocks, make([]record, 0, recordsPerBlock))
	}
	b := &h.blocks[len(h.blocks)-1]
	*b = append(*b, record{
		start: now.Sub(h.epoch), index: int32(id.Task.Index), attempt: int32(id.Attempt), worker: int32(worker),
		previous: previous, kind: id.Task.Kind, backup: backup,
	})
	h.n++
	return int32(h.n)
}

// find returns the index of attempt id's record, starting from its task's
// latest (1 + its index, or 0), or -1.
func (h *history) find(id task.AttemptID, latest int32) int {
	for r := latest; r > 0; {
		rec := h.at(int(r - 1))
		if int(rec.attempt) == id.Attempt {
			return int(r - 1)
		}
		r = rec.previous
	}
	return -1
}

// ended records the end of running attempt i; it ignores an attempt that
// already ended, or i < 0.
func (h *history) ended(i int, now time.Time, outcome Outcome, reason string) {
	if i < 0 || h.at(i).outcome != OutcomeRunning {
		return
	}
	r := h.at(i)
	r.end, r.outcome = h.offset(now), outcome
	h.setError(i, reason)
}

// offset returns now as an offset from the epoch, never 0 (which marks a
// running attempt's end).
func (h *history) offset(now time.Time) time.Duration {
	if d := now.Sub(h.epoch); d != 0 {
		return d
	}
	return 1
}

// lost records that committed attempt i's output was lost.
func (h *history) lost(i int, now time.Time, reason string) {
	if i < 0 || h.at(i).outcome != OutcomeCommitted {
		return
	}
	h.at(i).outcome = OutcomeLost
	h.setError(i, fmt.Sprintf("output lost at %s: %s", now.Format(time.TimeOnly), reason))
}

func (h *history) setError(i int, reason string) {
	if n, ok := h.notes[i]; ok || reason != "" {
		n.err = reason
		h.notes[i] = n
	}
}

// setStatus records running attempt i's latest status message.
func (h *history) setStatus(i int, message string) {
	if i >= 0 && h.at(i).outcome == OutcomeRunning {
		n := h.notes[i]
		n.status = message
		h.notes[i] = n
	}
}

// setBytes records how much finished attempt i wrote.
func (h *history) setBytes(i int, bytes int64) {
	if i >= 0 {
		h.at(i).bytes = bytes
	}
}

// view returns record i as an AttemptRecord.
func (h *history) view(i int) AttemptRecord {
	r := h.at(i)
	v := AttemptRecord{
		ID:     task.AttemptID{Task: task.ID{Kind: r.kind, Index: int(r.index)}, Attempt: int(r.attempt)},
		Worker: int(r.worker), Start: h.epoch.Add(r.start), Outcome: r.outcome, Backup: r.backup, Bytes: r.bytes,
	}
	if r.end != 0 {
		v.End = h.epoch.Add(r.end)
	}
	if n, ok := h.notes[i]; ok {
		v.Error, v.Status = n.err, n.status
	}
	return v
}

// AttemptCount returns how many attempts the history holds.
func (t *Table) AttemptCount() int { return t.history.n }

// Attempt returns the history of the i-th attempt begun (0 <= i <
// AttemptCount()).
func (t *Table) Attempt(i int) AttemptRecord { return t.history.view(i) }

// Attempts returns the history of every attempt, in start order.
func (t *Table) Attempts() iter.Seq[AttemptRecord] {
	return func(yield func(AttemptRecord) bool) {
		for i := range t.history.n {
			if !yield(t.history.view(i)) {
				return
			}
		}
	}
}

// record returns the index of attempt id's record, or -1.
func (t *Table) record(id task.AttemptID) int {
	e := t.entry(id.Task)
	if e == nil {
		return -1
	}
	return t.history.find(id, e.lastRecord)
}
