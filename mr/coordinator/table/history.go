package table

import (
	"fmt"
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

// history records every attempt of a job, in start order.
type history struct {
	records []AttemptRecord
	index   map[task.AttemptID]int
}

func (h *history) started(id task.AttemptID, worker int, now time.Time, backup bool) {
	if h.index == nil {
		h.index = make(map[task.AttemptID]int)
	}
	h.index[id] = len(h.records)
	h.records = append(h.records, AttemptRecord{ID: id, Worker: worker, Start: now, Backup: backup})
}

// ended records the end of a running attempt; it ignores an attempt that
// already ended or was never started.
func (h *history) ended(id task.AttemptID, now time.Time, outcome Outcome, reason string) {
	i, ok := h.index[id]
	if !ok || h.records[i].Outcome != OutcomeRunning {
		return
	}
	r := &h.records[i]
	r.End, r.Outcome, r.Error = now, outcome, reason
}

// lost records that a committed attempt's output was lost.
func (h *history) lost(id task.AttemptID, now time.Time, reason string) {
	i, ok := h.index[id]
	if !ok || h.records[i].Outcome != OutcomeCommitted {
		return
	}
	r := &h.records[i]
	r.Outcome, r.Error = OutcomeLost, fmt.Sprintf("output lost at %s: %s", now.Format(time.TimeOnly), reason)
}

// setStatus records a running attempt's latest status message.
func (h *history) setStatus(id task.AttemptID, message string) {
	if i, ok := h.index[id]; ok && h.records[i].Outcome == OutcomeRunning {
		h.records[i].Status = message
	}
}

// setBytes records how much a finished attempt wrote.
func (h *history) setBytes(id task.AttemptID, bytes int64) {
	if i, ok := h.index[id]; ok {
		h.records[i].Bytes = bytes
	}
}
