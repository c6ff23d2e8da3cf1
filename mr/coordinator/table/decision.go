package table

import "fmt"

// ReportResult says what a report about an attempt did.
type ReportResult uint8

// The results of reporting an attempt.
const (
	// ResultCommitting: the attempt is the first to finish; make its
	// output durable, then call EndCommit.
	ResultCommitting ReportResult = iota + 1
	// ResultCommitted: the attempt had already committed (a repeated report).
	ResultCommitted
	// ResultBusy: another report's commit of this task is under way; ask
	// again once it has ended.
	ResultBusy
	// ResultFailed: a live attempt failed; the task will be retried.
	ResultFailed
	// ResultReleased: a live attempt ended without blame (it gave way, or
	// its input was lost); the task will be retried.
	ResultReleased
	// ResultIgnored: the attempt was no longer live: stale or superseded.
	ResultIgnored
	// ResultUnknown: no such task or attempt of this worker.
	ResultUnknown
)

// String returns the result's name.
func (r ReportResult) String() string {
	switch r {
	case ResultCommitting:
		return "committing"
	case ResultCommitted:
		return "committed"
	case ResultBusy:
		return "busy"
	case ResultFailed:
		return "failed"
	case ResultReleased:
		return "released"
	case ResultIgnored:
		return "ignored"
	case ResultUnknown:
		return "unknown"
	default:
		return fmt.Sprintf("result(%d)", uint8(r))
	}
}

// LostResult says what a report of a lost map output did.
type LostResult uint8

// The results of reporting a lost map output.
const (
	// LostRerun: the output was the committed one; its map runs again.
	LostRerun LostResult = iota + 1
	// LostStale: the output is no longer the committed one (already
	// reported, or never committed): nothing changes.
	LostStale
)
