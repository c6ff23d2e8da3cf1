// Package table is the scheduling state of one MapReduce job, as a pure
// state machine: every map and reduce task, its live attempts and their
// leases, which attempt of each task committed and where its output is
// served, the job's counters, and the history of every attempt. Its
// transitions take the time as an argument and do no I/O; the coordinator
// holds the lock around them, makes what they decide durable and answers
// the workers.
//
// Each rule has one file: the hand-out order and backup attempts
// (assign.go); the two-step commit and its restore after a restart
// (commit.go); failures, retries and skipped inputs (failure.go); lost
// map outputs and lost servers (lost.go); leases, the hard limit and lost
// leases (expire.go); counters (counters.go); the attempt history
// (history.go).
package table

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// State is where a task stands.
type State uint8

// The states of a task.
const (
	StateIdle       State = iota // waiting to be handed out
	StateRunning                 // one or more live attempts
	StateCommitting              // an attempt's commit is being made durable
	StateDone                    // an attempt committed, or the task was skipped
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateIdle:
		return "idle"
	case StateRunning:
		return "running"
	case StateCommitting:
		return "committing"
	case StateDone:
		return "done"
	default:
		return fmt.Sprintf("state(%d)", uint8(s))
	}
}

// Defaults of the backup rule (see Policy).
const (
	DefaultBackupFactor = 3.0
	DefaultBackupMinAge = 5 * time.Second
)

// Policy holds the timing and failure rules of a table.
type Policy struct {
	// Lease is how long an attempt lives without a heartbeat.
	Lease time.Duration
	// HardLimit is how long an attempt may run at all, heartbeats or not;
	// zero means no limit.
	HardLimit time.Duration
	// MaxFailures is how many failed or lost attempts (or lost outputs) a
	// task survives; one more fails the job. Negative means no limit.
	MaxFailures int
	// BackupFactor enables backup attempts when positive: a task running
	// longer than BackupFactor times the mean committed duration of its
	// kind (and at least BackupMinAge) gets a second attempt once no task
	// is idle.
	BackupFactor float64
	BackupMinAge time.Duration
	// SkipBadInputs makes a map task that fails too often be skipped
	// (its input left out of the job) instead of failing the job.
	SkipBadInputs bool
	// MaxStatusBytes bounds the status message kept for an attempt.
	MaxStatusBytes int
}

// attemptsPerStart spaces the attempt numbers of successive coordinator
// starts on one job, so that an attempt begun before a restart never shares
// a number, and so file names, with one begun after it.
const attemptsPerStart = 1000

// attempt is one live run of a task.
type attempt struct {
	number     int
	worker     int
	started    time.Time
	leaseUntil time.Time
	backup     bool
}

// taskEntry is one row of the table. A job of a million map tasks holds
// a million of them, so it keeps what only some tasks need (the committing
// attempt, counters) behind pointers, and its input in the set's inputs.
type taskEntry struct {
	id    task.ID
	state State
	// skipped marks a map task given up on: its input is left out.
	skipped bool
	// lastRecord is 1 + the index of the history record of the task's
	// latest attempt, or 0 before its first.
	lastRecord int32
	attempts   int32 // attempts handed out so far; the next gets attempts+1
	// failures counts the task's failed and lost attempts and lost
	// outputs.
	failures int32
	live     []attempt // running attempts: one, or two with a backup
	// committing is the attempt whose commit is being made durable, in
	// StateCommitting.
	committing *attempt
	// committed and committedWorker name the committed attempt once done;
	// committed is 0 for a skipped map task.
	committed       int32
	committedWorker int32
	// server and counters are a committed map attempt's: where its output
	// is served ("" for the shared folder), and its counts, taken back from
	// the totals if the output is lost.
	server   string
	counters map[string]int64
	// idleSince is when the task last became idle, as an offset from the
	// set's epoch.
	idleSince time.Duration
}

// taskSet holds the tasks of one kind and their scheduling state.
type taskSet struct {
	tasks []taskEntry
	// inputs holds the input of each task, for map and sample tasks.
	inputs []task.Input
	// epoch is the time the tasks' idleSince offsets count from.
	epoch time.Time
	// idle queues the indexes of tasks waiting to be handed out; entries
	// whose task is no longer idle are skipped.
	idle []int
	// running holds the indexes of tasks with a live attempt. Whatever
	// ranges over it goes in task order (inOrder), so that the same events
	// give the same result.
	running map[int]struct{}
	// done counts tasks done.
	done int
	// committedCount and committedTime sum the run times of committed
	// attempts, for the backup rule; noStragglerBefore is how soon a
	// running task could deserve a backup (see straggler).
	committedCount    int
	committedTime     time.Duration
	noStragglerBefore time.Time
}

func newTaskSet(kind task.Kind, n int, inputs []task.Input, epoch time.Time) taskSet {
	s := taskSet{tasks: make([]taskEntry, n), inputs: inputs, epoch: epoch, running: make(map[int]struct{})}
	for i := range s.tasks {
		s.tasks[i].id = task.ID{Kind: kind, Index: i}
	}
	return s
}

// input returns task i's input; none for a reduce task.
func (s *taskSet) input(i int) task.Input {
	if s.inputs == nil {
		return task.Input{}
	}
	return s.inputs[i]
}

// runningInOrder returns the indexes of the running tasks, lowest first.
func (s *taskSet) runningInOrder() []int { return slices.Sorted(maps.Keys(s.running)) }

func (s *taskSet) queue(e *taskEntry, now time.Time) {
	e.state = StateIdle
	e.idleSince = now.Sub(s.epoch)
	delete(s.running, e.id.Index)
	s.idle = append(s.idle, e.id.Index)
}

// Assignment is an attempt handed to a worker.
type Assignment struct {
	Worker  int
	Attempt task.AttemptID
	Input   task.Input
	Backup  bool
}

// Table is the scheduling state of one job: every map and reduce task and
// its live attempts. It is not safe for concurrent use; time is passed in.
//
// Reduce tasks are handed out once every map task has been done. A map
// task whose committed output is later lost goes back to idle, in the
// reduce phase too, and is handed out before any reduce task; reduce
// attempts meanwhile wait for it (see MapCommit).
type Table struct {
	policy  Policy
	maps    taskSet
	reduces taskSet
	// reducing is set once every map task has been done: from then on
	// reduce tasks are handed out. finished is set when every reduce task
	// is done.
	reducing bool
	finished bool
	// failure is why the job failed, or nil.
	failure error
	// mapCommitChanges lists, in order, the map tasks whose commit was
	// lost or replaced once reducing: its length is the version of the
	// map commits, so that cached lists of them can tell they are stale,
	// and which of their parts.
	mapCommitChanges []int
	// changes holds what the table decided since TakeChanges last ran
	// that must be made durable.
	changes Changes
	// unconfirmed holds lease losses not yet counted against their tasks.
	unconfirmed []leaseLoss
	// history records every attempt.
	history history
	// counters sums the counters of committed attempts, less those of map
	// outputs lost since.
	counters map[string]int64
	// nextMap holds, for each worker that took a map task, the task after
	// it, which the worker takes next if it is idle and in the same chunk
	// (see handOutChunk).
	nextMap map[int]int
	// servers holds every server a map output was committed on, each
	// address once (see intern).
	servers map[string]string
	// mapsRerun counts committed map outputs found lost.
	mapsRerun int
	// extents holds where in a segment file each committed map output
	// is, made when the first output in one commits: a job without
	// segments keeps nothing per map task for them.
	extents []jobfiles.Extent
	// order is the sampling phase of a job in total order; its zero value
	// is a job without one.
	order sampling
}

// New returns a table with one map task per input and nReduce reduce
// tasks, in the map phase.
func New(inputs []task.Input, nReduce int, p Policy, now time.Time) *Table {
	t := newUnqueued(inputs, nil, nReduce, p, now)
	t.startMapping(now)
	return t
}

// newUnqueued returns a table with one map task per input, one sample
// task per samples input and nReduce reduce tasks, none of them queued.
func newUnqueued(inputs, samples []task.Input, nReduce int, p Policy, now time.Time) *Table {
	return &Table{policy: p,
		maps:     newTaskSet(task.Map, len(inputs), inputs, now),
		reduces:  newTaskSet(task.Reduce, nReduce, nil, now),
		order:    sampling{tasks: newTaskSet(task.Sample, len(samples), samples, now)},
		counters: make(map[string]int64), history: newHistory(now)}
}

// startMapping queues every map task not done yet, or starts reducing if
// the job has none.
func (t *Table) startMapping(now time.Time) {
	chunk := handOutChunk(len(t.maps.tasks))
	for first := range chunk {
		for i := first; i < len(t.maps.tasks); i += chunk {
			if e := &t.maps.tasks[i]; e.state == StateIdle {
				t.maps.queue(e, now)
			}
		}
	}
	if len(t.maps.tasks) == 0 {
		t.startReducing(now)
	}
}

// startReducing queues every reduce task.
func (t *Table) startReducing(now time.Time) {
	t.reducing = true
	for i := range t.reduces.tasks {
		if e := &t.reduces.tasks[i]; e.state == StateIdle {
			t.reduces.queue(e, now)
		}
	}
	if len(t.reduces.tasks) == 0 {
		t.finished = true
	}
}

func (t *Table) set(k task.Kind) *taskSet {
	switch k {
	case task.Map:
		return &t.maps
	case task.Sample:
		return &t.order.tasks
	}
	return &t.reduces
}

// entry returns the task id names, or nil if there is none.
func (t *Table) entry(id task.ID) *taskEntry {
	if !id.Kind.Valid() {
		return nil
	}
	tasks := t.set(id.Kind).tasks
	if id.Index < 0 || id.Index >= len(tasks) {
		return nil
	}
	return &tasks[id.Index]
}

// Over reports whether the job has ended, successfully or not.
func (t *Table) Over() bool { return t.finished || t.failure != nil }

// Failure returns why the job failed, or nil.
func (t *Table) Failure() error { return t.failure }

// Reducing reports whether reduce tasks are being handed out.
func (t *Table) Reducing() bool { return t.reducing }

// liveAttempt returns attempt id of worker if it is live.
func (t *Table) liveAttempt(worker int, id task.AttemptID) (*taskEntry, *attempt) {
	e := t.entry(id.Task)
	if e == nil {
		return nil, nil
	}
	for i := range e.live {
		if e.live[i].number == id.Attempt && e.live[i].worker == worker {
			return e, &e.live[i]
		}
	}
	return nil, nil
}

// IsLive reports whether attempt id of worker is live.
func (t *Table) IsLive(worker int, id task.AttemptID) bool {
	_, a := t.liveAttempt(worker, id)
	return a != nil && !t.Over()
}

// SetLease sets the length of the leases begun or renewed from now on.
func (t *Table) SetLease(d time.Duration) { t.policy.Lease = d }

// Heartbeat renews a live attempt's lease. It returns false if the attempt
// is not live (revoked, superseded or unknown): its worker should abandon it.
func (t *Table) Heartbeat(worker int, id task.AttemptID, now time.Time) bool {
	_, a := t.liveAttempt(worker, id)
	if a == nil {
		return false
	}
	a.leaseUntil = now.Add(t.policy.Lease)
	return true
}

// SetStatus records the status message that a live attempt's
// application reported, cut to the policy's MaxStatusBytes of valid UTF-8.
func (t *Table) SetStatus(id task.AttemptID, message string) {
	if len(message) > t.policy.MaxStatusBytes {
		message = message[:t.policy.MaxStatusBytes]
	}
	t.history.setStatus(t.record(id), strings.ToValidUTF8(message, ""))
}

// MapCommit returns the commit of map task m, which says which attempt's
// output a reducer reads and where it is served, or false while the task
// has none.
func (t *Table) MapCommit(m int) (Commit, bool) {
	e := &t.maps.tasks[m]
	if e.state != StateDone {
		return Commit{}, false
	}
	return Commit{Attempt: task.AttemptID{Task: e.id, Attempt: int(e.committed)}, Skipped: e.skipped,
		Server: e.server, Extent: t.extent(m), Counters: e.counters}, true
}

// extent returns where in a segment file map task m's committed output
// is; the zero Extent if it has a file of its own.
func (t *Table) extent(m int) jobfiles.Extent {
	if t.extents == nil {
		return jobfiles.Extent{}
	}
	return t.extents[m]
}

// setExtent records e as where map task m's committed output is.
func (t *Table) setExtent(m int, e jobfiles.Extent) {
	if t.extents == nil {
		if !e.InSegment() {
			return
		}
		t.extents = make([]jobfiles.Extent, len(t.maps.tasks))
	}
	t.extents[m] = e
}

// MapIdleFor returns how long map task m has been idle, or 0 if it is not.
func (t *Table) MapIdleFor(m int, now time.Time) time.Duration {
	e := &t.maps.tasks[m]
	if e.state != StateIdle {
		return 0
	}
	return now.Sub(t.maps.epoch.Add(e.idleSince))
}

// Maps returns the number of map tasks.
func (t *Table) Maps() int { return len(t.maps.tasks) }

// MapCommitsVersion returns a version of the map tasks' commits that
// changes whenever one is lost or replaced once reducing, so that a list
// of them made from MapCommit can tell it is stale.
func (t *Table) MapCommitsVersion() int { return len(t.mapCommitChanges) }

// MapCommitsChangedSince returns the map tasks whose commit changed since
// version, in order (with repeats); the caller must not change it.
func (t *Table) MapCommitsChangedSince(version int) []int {
	return t.mapCommitChanges[min(max(version, 0), len(t.mapCommitChanges)):]
}

// Committed calls fn with the committed attempt of every done task (not
// skipped ones).
func (t *Table) Committed(fn func(id task.AttemptID)) {
	for _, s := range []*taskSet{&t.maps, &t.reduces} {
		for i := range s.tasks {
			if e := &s.tasks[i]; e.state == StateDone && !e.skipped {
				fn(task.AttemptID{Task: e.id, Attempt: int(e.committed)})
			}
		}
	}
}

// Abort fails the job with err, unless it has failed already: the first
// failure is the job's.
func (t *Table) Abort(err error) {
	if t.failure == nil {
		t.failure = err
	}
}

// Changes are what the table decided that a restarted coordinator must
// know, beyond the commits it is handed: committed map outputs found lost
// (their commits no longer hold), map tasks skipped, and the split points
// of a job in total order once picked (SplitsPicked; Splits may be empty).
// Picked split points hold the map tasks back until SplitsDurable.
type Changes struct {
	Lost         []task.AttemptID
	Skipped      []task.ID
	SplitsPicked bool
	Splits       []string
}

// TakeChanges returns the changes made since it was last called.
func (t *Table) TakeChanges() Changes {
	c := t.changes
	t.changes = Changes{}
	return c
}

// Skipped returns the inputs of every skipped map task.
func (t *Table) Skipped() []string {
	var inputs []string
	for i := range t.maps.tasks {
		if t.maps.tasks[i].skipped {
			inputs = append(inputs, t.maps.input(i).String())
		}
	}
	return inputs
}

// SetAttemptBytes records how much a finished attempt wrote.
func (t *Table) SetAttemptBytes(id task.AttemptID, bytes int64) {
	t.history.setBytes(t.record(id), bytes)
}

// Progress counts tasks done of each kind.
type Progress struct {
	MapsDone, Maps       int
	ReducesDone, Reduces int
	// MapsRunning and ReducesRunning count tasks with a live attempt.
	MapsRunning, ReducesRunning int
}

// Progress returns how far the job is.
func (t *Table) Progress() Progress {
	return Progress{
		MapsDone: t.maps.done, Maps: len(t.maps.tasks),
		ReducesDone: t.reduces.done, Reduces: len(t.reduces.tasks),
		MapsRunning: len(t.maps.running), ReducesRunning: len(t.reduces.running),
	}
}

// TaskView is what a view of the job shows of a task.
type TaskView struct {
	ID      task.ID
	Input   task.Input // map tasks only
	State   State
	Skipped bool
}

// Tasks returns how many tasks the job has, maps and reduces.
func (t *Table) Tasks() int { return len(t.maps.tasks) + len(t.reduces.tasks) }

// Task returns the k-th task of the job (0 <= k < Tasks()): map tasks
// first, then reduce tasks, each in index order.
func (t *Table) Task(k int) TaskView {
	s := &t.maps
	if k >= len(t.maps.tasks) {
		s, k = &t.reduces, k-len(t.maps.tasks)
	}
	e := &s.tasks[k]
	return TaskView{ID: e.id, Input: s.input(k), State: e.state, Skipped: e.skipped}
}
