package protocol

// AttemptRun says that Count consecutive map tasks, from Start on,
// committed the same attempt number, and that their outputs are served by
// the same server: an index into the reply's Servers, where 0 means the
// job's shared folder.
type AttemptRun struct {
	Start, Count, Attempt, Server int
}

// AttemptRuns is the committed attempt and server of every map task, run
// length encoded: in most jobs nearly every task commits attempt 1 and,
// on one machine, in the shared folder, so a reduce task's reply stays
// small however many map tasks there are.
type AttemptRuns []AttemptRun

// CompressAttempts encodes attempts and servers, indexed by map task;
// servers may be nil, meaning 0 for every task.
func CompressAttempts(attempts, servers []int) AttemptRuns {
	var runs AttemptRuns
	for i, a := range attempts {
		s := 0
		if servers != nil {
			s = servers[i]
		}
		if n := len(runs); n > 0 && runs[n-1].Attempt == a && runs[n-1].Server == s {
			runs[n-1].Count++
			continue
		}
		runs = append(runs, AttemptRun{Start: i, Count: 1, Attempt: a, Server: s})
	}
	return runs
}

// Expand returns the attempt and the server of every map task.
func (runs AttemptRuns) Expand() (attempts, servers []int) {
	for _, r := range runs {
		for range r.Count {
			attempts = append(attempts, r.Attempt)
			servers = append(servers, r.Server)
		}
	}
	return attempts, servers
}
