package protocol

// AttemptRun says that Count consecutive map tasks, from Start on,
// committed the same attempt number.
type AttemptRun struct {
	Start, Count, Attempt int
}

// AttemptRuns is the committed attempt of every map task, run-length
// encoded: in most jobs nearly every task commits attempt 1, so a reduce
// task's reply stays small however many map tasks there are.
type AttemptRuns []AttemptRun

// CompressAttempts encodes attempts, indexed by map task.
func CompressAttempts(attempts []int) AttemptRuns {
	var runs AttemptRuns
	for i, a := range attempts {
		if n := len(runs); n > 0 && runs[n-1].Attempt == a {
			runs[n-1].Count++
			continue
		}
		runs = append(runs, AttemptRun{Start: i, Count: 1, Attempt: a})
	}
	return runs
}

// Expand returns the attempt of every map task.
func (runs AttemptRuns) Expand() []int {
	var attempts []int
	for _, r := range runs {
		for range r.Count {
			attempts = append(attempts, r.Attempt)
		}
	}
	return attempts
}
