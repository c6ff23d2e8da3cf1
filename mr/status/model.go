package status

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"
)

// JSON encoding (the /status.json API and the report's .json file):
//
//   - Field names are snake_case, as given in each field's comment.
//   - Durations are float64 seconds in fields named *_seconds
//     (elapsed_seconds, duration_seconds); the Go fields are time.Duration.
//   - Times are RFC 3339 strings; a zero time (not yet happened) is
//     omitted from the object rather than encoded as "0001-01-01T00:00:00Z".
//   - Error strings are omitted when empty.
//   - Lists are always arrays and counters always an object, never null.

// Job states, the values of Job.State.
const (
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Worker states, the values of Worker.State.
const (
	WorkerIdle   = "idle"
	WorkerBusy   = "busy"
	WorkerLost   = "lost"
	WorkerExited = "exited"
)

// Task kinds, the values of Task.Kind.
const (
	KindMap    = "map"
	KindReduce = "reduce"
)

// Task states, the values of Task.State.
const (
	TaskIdle    = "idle"
	TaskRunning = "running"
	TaskDone    = "done"
	TaskSkipped = "skipped"
)

// Attempt outcomes, the values of Attempt.Outcome.
const (
	// OutcomeRunning: the attempt has not finished.
	OutcomeRunning = "running"
	// OutcomeCommitted: the attempt finished and its output is the task's.
	OutcomeCommitted = "committed"
	// OutcomeRevoked: the coordinator took the task back, e.g. because the
	// worker stopped sending heartbeats.
	OutcomeRevoked = "revoked"
	// OutcomeFailed: the worker reported an error.
	OutcomeFailed = "failed"
	// OutcomeIgnored: the attempt finished but the task was already done.
	OutcomeIgnored = "ignored"
	// OutcomeSuperseded: another attempt of the task committed first.
	OutcomeSuperseded = "superseded"
	// OutcomeReleased: the attempt ended without blame: it could not read
	// a map output, or gave way so that its worker could re-run one.
	OutcomeReleased = "released"
	// OutcomeLost: the attempt committed, but its output was lost later
	// (a reducer could not read it) and its task ran again.
	OutcomeLost = "lost"
)

// Snapshot is everything the coordinator knows about a job at one moment.
type Snapshot struct {
	// Job describes the job as a whole. JSON: "job".
	Job Job `json:"job"`
	// Maps is the progress of the map phase. JSON: "maps".
	Maps Phase `json:"maps"`
	// Reduces is the progress of the reduce phase. JSON: "reduces".
	Reduces Phase `json:"reduces"`
	// Workers lists every worker that has registered, in any order.
	// JSON: "workers".
	Workers []Worker `json:"workers"`
	// Tasks lists every map and reduce task. JSON: "tasks".
	Tasks []Task `json:"tasks"`
	// Attempts lists every attempt of the job so far, in start order.
	// JSON: "attempts".
	Attempts []Attempt `json:"attempts"`
	// Counters are the application counters summed over committed attempts
	// only. JSON: "counters".
	Counters map[string]int64 `json:"counters"`
}

// Job describes a job as a whole.
type Job struct {
	// Inputs is the number of input files. JSON: "inputs".
	Inputs int `json:"inputs"`
	// NReduce is the number of reduce tasks. JSON: "n_reduce".
	NReduce int `json:"n_reduce"`
	// Started is when the job started. JSON: "started", omitted if zero.
	Started time.Time `json:"started,omitzero"`
	// Ended is when the job ended; zero while it runs. JSON: "ended",
	// omitted while running.
	Ended time.Time `json:"ended,omitzero"`
	// Elapsed is the job's run time so far. JSON: "elapsed_seconds".
	Elapsed time.Duration `json:"-"`
	// State is JobRunning, JobDone or JobFailed. JSON: "state".
	State string `json:"state"`
	// Error says why the job failed. JSON: "error", omitted if empty.
	Error string `json:"error,omitempty"`
	// Skipped lists the inputs skipped as bad records. JSON: "skipped".
	Skipped []string `json:"skipped"`
	// MapsRerun counts committed map outputs found lost (unreadable, or
	// served by a lost worker), whose map tasks ran again.
	// JSON: "maps_rerun".
	MapsRerun int `json:"maps_rerun"`
}

// Phase is the progress of the map or reduce phase, counted in tasks.
type Phase struct {
	// Done is the number of tasks done (or skipped). JSON: "done".
	Done int `json:"done"`
	// Running is the number of tasks with an attempt running.
	// JSON: "running".
	Running int `json:"running"`
	// Total is the number of tasks in the phase. JSON: "total".
	Total int `json:"total"`
}

// Worker is one worker process as the coordinator sees it.
type Worker struct {
	// ID is the worker id assigned by the coordinator. JSON: "id".
	ID int `json:"id"`
	// Host is the worker's host name. JSON: "host".
	Host string `json:"host"`
	// Server is the address where the worker serves its map output, ""
	// when it leaves it in the job's shared folder. JSON: "server".
	Server string `json:"server"`
	// PID is the worker's process id. JSON: "pid".
	PID int `json:"pid"`
	// LastSeen is the worker's last heartbeat. JSON: "last_seen", omitted
	// if zero.
	LastSeen time.Time `json:"last_seen,omitzero"`
	// State is WorkerIdle, WorkerBusy, WorkerLost or WorkerExited.
	// JSON: "state".
	State string `json:"state"`
	// Current is the id of the attempt the worker runs, like "map-3.1", or
	// "" if none. JSON: "current".
	Current string `json:"current"`
	// TasksDone is the number of the worker's attempts that committed.
	// JSON: "tasks_done".
	TasksDone int `json:"tasks_done"`
	// Failures is the number of the worker's attempts that failed or were
	// revoked. JSON: "failures".
	Failures int `json:"failures"`
}

// Task is one map or reduce task.
type Task struct {
	// ID names the task, like "map-3". JSON: "id".
	ID string `json:"id"`
	// Kind is KindMap or KindReduce. JSON: "kind".
	Kind string `json:"kind"`
	// Index is the task's number within its phase. JSON: "index".
	Index int `json:"index"`
	// Input is the input file of a map task, "" for a reduce task.
	// JSON: "input".
	Input string `json:"input"`
	// State is TaskIdle, TaskRunning, TaskDone or TaskSkipped.
	// JSON: "state".
	State string `json:"state"`
	// Attempts is the number of attempts started. JSON: "attempts".
	Attempts int `json:"attempts"`
	// Worker is the worker of the committed attempt, or of the latest
	// attempt if none committed; 0 if there was no attempt. JSON: "worker".
	Worker int `json:"worker"`
	// Duration is the run time of the committed attempt, 0 if none.
	// JSON: "duration_seconds".
	Duration time.Duration `json:"-"`
}

// Attempt is one execution of a task by a worker.
type Attempt struct {
	// Task is the id of the task, like "map-3". JSON: "task".
	Task string `json:"task"`
	// Attempt numbers the attempts of a task from 1. JSON: "attempt".
	Attempt int `json:"attempt"`
	// ID names the attempt, like "map-3.1". JSON: "id".
	ID string `json:"id"`
	// Worker is the id of the worker running it. JSON: "worker".
	Worker int `json:"worker"`
	// Start is when the attempt was handed out. JSON: "start", omitted if
	// zero.
	Start time.Time `json:"start,omitzero"`
	// End is when the attempt finished; zero while it runs. JSON: "end",
	// omitted while running.
	End time.Time `json:"end,omitzero"`
	// Outcome is one of the Outcome constants. JSON: "outcome".
	Outcome string `json:"outcome"`
	// Backup is true for a speculative (backup) attempt. JSON: "backup".
	Backup bool `json:"backup"`
	// Error is the failure reported for the attempt. JSON: "error",
	// omitted if empty.
	Error string `json:"error,omitempty"`
	// Bytes is the number of bytes the attempt wrote. JSON: "bytes".
	Bytes int64 `json:"bytes"`
	// Status is the latest status message the attempt's application
	// reported (a streaming command's reporter:status line). JSON:
	// "status", omitted if empty.
	Status string `json:"status,omitempty"`
}

// MarshalJSON encodes s with empty lists as [] and no counters as {}.
func (s Snapshot) MarshalJSON() ([]byte, error) {
	type plain Snapshot // no methods: avoids recursion
	p := plain(s)
	if p.Workers == nil {
		p.Workers = []Worker{}
	}
	if p.Tasks == nil {
		p.Tasks = []Task{}
	}
	if p.Attempts == nil {
		p.Attempts = []Attempt{}
	}
	if p.Counters == nil {
		p.Counters = map[string]int64{}
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode snapshot: %w", err)
	}
	return b, nil
}

// MarshalJSON encodes j with Elapsed as "elapsed_seconds".
func (j Job) MarshalJSON() ([]byte, error) {
	type plain Job
	p := plain(j)
	if p.Skipped == nil {
		p.Skipped = []string{}
	}
	b, err := json.Marshal(struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_seconds"`
	}{p, j.Elapsed.Seconds()})
	if err != nil {
		return nil, fmt.Errorf("encode job: %w", err)
	}
	return b, nil
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (j *Job) UnmarshalJSON(data []byte) error {
	type plain Job
	var v struct {
		plain
		ElapsedSeconds float64 `json:"elapsed_seconds"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("decode job: %w", err)
	}
	*j = Job(v.plain)
	j.Elapsed = fromSeconds(v.ElapsedSeconds)
	return nil
}

// MarshalJSON encodes t with Duration as "duration_seconds".
func (t Task) MarshalJSON() ([]byte, error) {
	type plain Task
	b, err := json.Marshal(struct {
		plain
		DurationSeconds float64 `json:"duration_seconds"`
	}{plain(t), t.Duration.Seconds()})
	if err != nil {
		return nil, fmt.Errorf("encode task %s: %w", t.ID, err)
	}
	return b, nil
}

// UnmarshalJSON decodes what MarshalJSON encodes.
func (t *Task) UnmarshalJSON(data []byte) error {
	type plain Task
	var v struct {
		plain
		DurationSeconds float64 `json:"duration_seconds"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return fmt.Errorf("decode task: %w", err)
	}
	*t = Task(v.plain)
	t.Duration = fromSeconds(v.DurationSeconds)
	return nil
}

// fromSeconds converts float seconds back to a Duration, to the nearest
// nanosecond.
func fromSeconds(sec float64) time.Duration {
	return time.Duration(math.Round(sec * float64(time.Second)))
}

// encodeIndented is the snapshot as indented JSON ending in a newline, the
// form served at /status.json and written to reports.
func encodeIndented(s Snapshot) ([]byte, error) {
	var b bytes.Buffer
	if err := writeIndented(&b, s); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// writeIndented writes what encodeIndented returns, encoding one worker,
// task or attempt at a time: the report of a job of a million tasks is
// hundreds of megabytes of JSON, which json.MarshalIndent would hold
// three times over (Snapshot's encoding, a copy, the indented copy).
func writeIndented(w io.Writer, s Snapshot) error {
	const field = "\n" + jsonIndent
	const element = field + jsonIndent
	var err error
	put := func(parts ...string) {
		for _, p := range parts {
			if err == nil {
				_, err = io.WriteString(w, p)
			}
		}
	}
	value := func(v any, prefix string) string {
		if err != nil {
			return ""
		}
		var b []byte
		if b, err = json.MarshalIndent(v, prefix, jsonIndent); err != nil {
			err = fmt.Errorf("encode snapshot: %w", err)
		}
		return string(b)
	}
	list := func(name string, n int, item func(int) any) {
		put(field, `"`, name, `": [`)
		for i := range n {
			if i > 0 {
				put(",")
			}
			put(element, value(item(i), jsonIndent+jsonIndent))
		}
		if n > 0 {
			put(field)
		}
		put("],")
	}
	counters := s.Counters
	if counters == nil {
		counters = map[string]int64{}
	}
	put("{", field, `"job": `, value(s.Job, jsonIndent), ",")
	put(field, `"maps": `, value(s.Maps, jsonIndent), ",")
	put(field, `"reduces": `, value(s.Reduces, jsonIndent), ",")
	list("workers", len(s.Workers), func(i int) any { return s.Workers[i] })
	list("tasks", len(s.Tasks), func(i int) any { return s.Tasks[i] })
	list("attempts", len(s.Attempts), func(i int) any { return s.Attempts[i] })
	put(field, `"counters": `, value(counters, jsonIndent), "\n}\n")
	return err
}

// jsonIndent is the indentation of encoded snapshots.
const jsonIndent = "  "

// ProgressView returns the counts of s: the job's state, size and times,
// the phases' progress and the counters, without workers, tasks,
// attempts, skipped inputs or the job's error, which name hosts,
// addresses and inputs.
func (s Snapshot) ProgressView() Snapshot {
	j := s.Job
	return Snapshot{
		Job: Job{
			Inputs: j.Inputs, NReduce: j.NReduce, Started: j.Started, Ended: j.Ended,
			Elapsed: j.Elapsed, State: j.State, MapsRerun: j.MapsRerun,
		},
		Maps:     s.Maps,
		Reduces:  s.Reduces,
		Counters: s.Counters,
	}
}
