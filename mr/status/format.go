package status

import (
	"fmt"
	"time"
)

// Rounding of durations shown to people.
const (
	// coarseRound is the precision of elapsed times and heartbeat ages.
	coarseRound = 100 * time.Millisecond
	// fineRound is the precision of task and attempt run times.
	fineRound = time.Millisecond
)

// elapsed is the job's run time as of now: Job.Elapsed if the coordinator
// set it, else derived from Started and Ended (or now while running).
func elapsed(j Job, now time.Time) time.Duration {
	if j.Elapsed > 0 {
		return j.Elapsed
	}
	if j.Started.IsZero() {
		return 0
	}
	end := j.Ended
	if end.IsZero() {
		end = now
	}
	return max(end.Sub(j.Started), 0)
}

// formatElapsed formats d like "12.3s" or "1m2.3s".
func formatElapsed(d time.Duration) string {
	return d.Round(coarseRound).String()
}

// formatRunTime formats d like "1.234s" or "350ms".
func formatRunTime(d time.Duration) string {
	return d.Round(fineRound).String()
}

// formatAge formats how long ago t was, like "1.2s ago", or "never" if t is
// zero.
func formatAge(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return fmt.Sprintf("%s ago", formatElapsed(max(now.Sub(t), 0)))
}

// attemptID is a's id, or one built from its task and number if unset.
func attemptID(a Attempt) string {
	if a.ID != "" {
		return a.ID
	}
	return fmt.Sprintf("%s.%d", a.Task, a.Attempt)
}

// attemptEnd is when a ended, or now if it is still running; never before
// its start. A finished attempt with no end time is taken to have ended as
// it started.
func attemptEnd(a Attempt, now time.Time) time.Time {
	end := a.End
	if end.IsZero() {
		end = a.Start
		if a.Outcome == OutcomeRunning {
			end = now
		}
	}
	if end.Before(a.Start) {
		return a.Start
	}
	return end
}
