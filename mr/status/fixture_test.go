package status

import (
	"fmt"
	"time"
)

// t0 is when the fixture job started.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// at is t0 plus sec seconds.
func at(sec float64) time.Time {
	return t0.Add(time.Duration(sec * float64(time.Second)))
}

// fixtureNow is the moment the fixture describes.
var fixtureNow = at(12.3)

// Fixture shape.
const (
	fixtureMaps    = 8
	fixtureReduces = 10
)

// fixture is a running job with 3 workers (one lost), 8 maps (all done, one
// after a revoked attempt, one after a failed one, one with a superseded
// backup) and 10 reduces (3 done, 1 running).
func fixture() Snapshot {
	s := Snapshot{
		Job: Job{
			Inputs: fixtureMaps, NReduce: fixtureReduces, Started: t0,
			Elapsed: fixtureNow.Sub(t0), State: JobRunning, Skipped: []string{"bad.txt"},
		},
		Maps:    Phase{Done: fixtureMaps, Total: fixtureMaps},
		Reduces: Phase{Done: 3, Running: 1, Total: fixtureReduces},
		Workers: []Worker{
			{ID: 2, Host: "host-b", Server: "10.0.0.2:7001", PID: 202, LastSeen: at(11.9), State: WorkerIdle, TasksDone: 4, Failures: 1},
			{ID: 1, Host: "host-a", PID: 101, LastSeen: at(12.1), State: WorkerBusy, Current: "reduce-3.1", TasksDone: 6},
			{ID: 3, Host: "host-c", PID: 303, LastSeen: at(2.5), State: WorkerLost, Failures: 1},
		},
		Counters: map[string]int64{"map.records": 1234, "reduce.keys": 567},
	}
	add := func(task string, n, worker int, start, end float64, outcome string) *Attempt {
		a := Attempt{Task: task, Attempt: n, ID: fmt.Sprintf("%s.%d", task, n), Worker: worker,
			Start: at(start), Outcome: outcome, Bytes: 1000}
		if end >= 0 {
			a.End = at(end)
		}
		s.Attempts = append(s.Attempts, a)
		return &s.Attempts[len(s.Attempts)-1]
	}
	add("map-0", 1, 1, 0.1, 1.2, OutcomeCommitted)
	add("map-1", 1, 2, 0.1, 1.4, OutcomeCommitted)
	add("map-2", 1, 3, 0.2, 3.5, OutcomeRevoked).Error = "worker lost"
	add("map-3", 1, 1, 1.3, 2.2, OutcomeCommitted)
	add("map-4", 1, 2, 1.5, 2.6, OutcomeCommitted)
	add("map-5", 1, 1, 2.3, 2.4, OutcomeFailed).Error = "read input: permission denied"
	add("map-5", 2, 2, 2.7, 3.9, OutcomeCommitted)
	add("map-2", 2, 1, 3.6, 4.8, OutcomeCommitted)
	add("map-6", 1, 2, 4.0, 5.1, OutcomeCommitted)
	add("map-7", 1, 1, 4.9, 7.5, OutcomeCommitted)
	add("map-7", 2, 2, 6.0, 7.9, OutcomeSuperseded).Backup = true
	add("reduce-0", 1, 2, 8.0, 9.6, OutcomeCommitted)
	add("reduce-1", 1, 1, 8.0, 9.9, OutcomeCommitted)
	add("reduce-2", 1, 2, 9.7, 11.2, OutcomeCommitted)
	add("reduce-3", 1, 1, 10.0, -1, OutcomeRunning)

	latest := map[string]Attempt{}
	counts := map[string]int{}
	for _, a := range s.Attempts {
		counts[a.Task]++
		if prev, ok := latest[a.Task]; !ok || prev.Outcome != OutcomeCommitted {
			latest[a.Task] = a
		}
	}
	task := func(kind string, i int, input string) {
		id := fmt.Sprintf("%s-%d", kind, i)
		t := Task{ID: id, Kind: kind, Index: i, Input: input, State: TaskIdle, Attempts: counts[id]}
		if a, ok := latest[id]; ok {
			t.Worker = a.Worker
			switch a.Outcome {
			case OutcomeCommitted:
				t.State, t.Duration = TaskDone, a.End.Sub(a.Start)
			case OutcomeRunning:
				t.State = TaskRunning
			}
		}
		s.Tasks = append(s.Tasks, t)
	}
	for i := range fixtureMaps {
		task(KindMap, i, fmt.Sprintf("pg-%d.txt", i))
	}
	for i := range fixtureReduces {
		task(KindReduce, i, "")
	}
	return s
}
