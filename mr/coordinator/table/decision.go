package table

import "fmt"

// Decision is the table's reply to a transition: what it made of a report
// about an attempt or of a lost map output. The coordinator turns it into
// the verdict a worker hears (protocol.Verdict).
type Decision uint8

// The decisions of the table.
const (
	// DecisionCommitting: the attempt is the first to finish; make its
	// output durable, then call EndCommit.
	DecisionCommitting Decision = iota + 1
	// DecisionCommitted: the attempt had already committed (a repeated
	// report).
	DecisionCommitted
	// DecisionBusy: another report's commit of this task is under way; ask
	// again once it has ended.
	DecisionBusy
	// DecisionFailed: a live attempt failed; the task will be retried.
	DecisionFailed
	// DecisionReleased: a live attempt ended without blame (it gave way,
	// or its input was lost); the task will be retried.
	DecisionReleased
	// DecisionIgnored: the attempt was no longer live (stale or
	// superseded), or the lost output no longer the committed one
	// (already reported, or never committed): nothing changes.
	DecisionIgnored
	// DecisionUnknown: no such task or attempt of this worker.
	DecisionUnknown
	// DecisionRerun: the lost output was the committed one; its map task
	// runs again.
	DecisionRerun
)

// String returns the decision's name.
func (d Decision) String() string {
	switch d {
	case DecisionCommitting:
		return "committing"
	case DecisionCommitted:
		return "committed"
	case DecisionBusy:
		return "busy"
	case DecisionFailed:
		return "failed"
	case DecisionReleased:
		return "released"
	case DecisionIgnored:
		return "ignored"
	case DecisionUnknown:
		return "unknown"
	case DecisionRerun:
		return "rerun"
	default:
		return fmt.Sprintf("decision(%d)", uint8(d))
	}
}
