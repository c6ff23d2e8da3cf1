package status

import (
	"fmt"
	"strings"
	"time"
)

// progressSep separates the parts of a progress line.
const progressSep = "  "

// ProgressLine summarises s in one line for a terminal, like
//
//	maps 5/8 (2 running)  reduces 0/10  workers 3 alive  failures 1  elapsed 12.3s
//
// Workers are alive if idle or busy; failures counts attempts that failed
// or were revoked. The running count of a phase is shown only if non-zero.
// The elapsed time is Job.Elapsed or, if that is zero, the time from
// Job.Started to Job.Ended (or to now while the job runs).
func ProgressLine(s Snapshot, now time.Time) string {
	alive := 0
	for _, w := range s.Workers {
		if w.State == WorkerIdle || w.State == WorkerBusy {
			alive++
		}
	}
	parts := []string{
		phaseSummary(KindMap+"s", s.Maps),
		phaseSummary(KindReduce+"s", s.Reduces),
		fmt.Sprintf("workers %d alive", alive),
		fmt.Sprintf("failures %d", countFailures(s.Attempts)),
		fmt.Sprintf("elapsed %s", formatElapsed(elapsed(s.Job, now))),
	}
	return strings.Join(parts, progressSep)
}

// phaseSummary is like "maps 5/8 (2 running)".
func phaseSummary(name string, p Phase) string {
	out := fmt.Sprintf("%s %d/%d", name, p.Done, p.Total)
	if p.Running > 0 {
		out += fmt.Sprintf(" (%d running)", p.Running)
	}
	return out
}

// countFailures counts the attempts that failed or were revoked, and the
// committed ones whose output was lost.
func countFailures(attempts []Attempt) int {
	n := 0
	for _, a := range attempts {
		if isFailure(a.Outcome) {
			n++
		}
	}
	return n
}

// isFailure reports whether outcome counts as a failure.
func isFailure(outcome string) bool {
	return outcome == OutcomeFailed || outcome == OutcomeRevoked || outcome == OutcomeLost
}
