package coordinator

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// taskState is where a task stands.
type taskState uint8

const (
	stateIdle       taskState = iota // waiting to be handed out
	stateRunning                     // one or more live attempts
	stateCommitting                  // an attempt's commit is being made durable
	stateDone                        // an attempt committed
)

func (s taskState) String() string {
	switch s {
	case stateIdle:
		return "idle"
	case stateRunning:
		return "running"
	case stateCommitting:
		return "committing"
	case stateDone:
		return "done"
	default:
		return fmt.Sprintf("state(%d)", uint8(s))
	}
}

// policy holds the timing and failure rules of a table.
type policy struct {
	// lease is how long an attempt lives without a heartbeat.
	lease time.Duration
	// hardLimit is how long an attempt may run at all, heartbeats or not.
	hardLimit time.Duration
	// maxFailures is how many failed or lost attempts (or lost outputs) a
	// task survives; one more fails the job. Negative means no limit.
	maxFailures int
	// backupFactor enables backup attempts when positive: a task running
	// longer than backupFactor times the mean committed duration of its
	// kind (and at least backupMinAge) gets a second attempt once no task
	// is idle.
	backupFactor float64
	backupMinAge time.Duration
	// skipBadInputs makes a map task that fails too often be skipped
	// (its input left out of the job) instead of failing the job.
	skipBadInputs bool
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

// taskEntry is one row of the table.
type taskEntry struct {
	id       task.ID
	input    task.Input // map tasks only
	state    taskState
	attempts int       // attempts handed out so far; the next gets attempts+1
	live     []attempt // running attempts: one, or two with a backup
	// committing is the attempt whose commit is being made durable, in
	// stateCommitting.
	committing attempt
	// committed and committedWorker name the committed attempt once done;
	// committed is 0 for a skipped map task.
	committed       int
	committedWorker int
	// server and counters are a committed map attempt's: where its output
	// is served ("" for the shared folder), and its counts, taken back from
	// the totals if the output is lost.
	server    string
	counters  map[string]int64
	skipped   bool // a map task given up on: its input is left out
	failures  int
	lastError string
	// idleSince is when the task last became idle.
	idleSince time.Time
}

// taskSet holds the tasks of one kind and their scheduling state.
type taskSet struct {
	tasks []taskEntry
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
	// attempts, for the backup rule.
	committedCount int
	committedTime  time.Duration
}

func newTaskSet(n int) taskSet {
	return taskSet{tasks: make([]taskEntry, n), running: make(map[int]struct{})}
}

// runningInOrder returns the indexes of the running tasks, lowest first.
func (s *taskSet) runningInOrder() []int { return slices.Sorted(maps.Keys(s.running)) }

func (s *taskSet) queue(e *taskEntry, now time.Time) {
	e.state = stateIdle
	e.idleSince = now
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
// attempts meanwhile wait for it (see MapOutput).
type Table struct {
	policy  policy
	maps    taskSet
	reduces taskSet
	// reducing is set once every map task has been done: from then on
	// reduce tasks are handed out. finished is set when every reduce task
	// is done.
	reducing bool
	finished bool
	// failure is why the job failed, or nil.
	failure error
	// mapCommitsVersion changes whenever a committed map output is lost or
	// replaced once reducing, so that cached lists of map commits can tell
	// they are stale.
	mapCommitsVersion int
	// newlySkipped holds map tasks skipped since TakeSkipped last ran.
	newlySkipped []task.ID
	// unconfirmed holds lease losses not yet counted against their tasks.
	unconfirmed []leaseLoss
	// history records every attempt.
	history history
	// counters sums the counters of committed attempts, less those of map
	// outputs lost since.
	counters map[string]int64
	// mapsRerun counts committed map outputs found lost.
	mapsRerun int
}

// Commit is an attempt's commit: the attempt (0 for a skipped map task),
// and for a map attempt where its output is served. Counters are the
// attempt's counts, added to the job's totals.
type Commit struct {
	Attempt  task.AttemptID
	Skipped  bool
	Server   string
	Counters map[string]int64
}

// newTable returns a table with one map task per input and nReduce reduce
// tasks, in the map phase.
func newTable(inputs []task.Input, nReduce int, p policy, now time.Time) *Table {
	t := &Table{policy: p, maps: newTaskSet(len(inputs)), reduces: newTaskSet(nReduce), counters: make(map[string]int64)}
	for i, in := range inputs {
		t.maps.tasks[i] = taskEntry{id: task.ID{Kind: task.Map, Index: i}, input: in}
		t.maps.queue(&t.maps.tasks[i], now)
	}
	for i := range t.reduces.tasks {
		t.reduces.tasks[i] = taskEntry{id: task.ID{Kind: task.Reduce, Index: i}, idleSince: now}
	}
	if len(inputs) == 0 {
		t.startReducing(now)
	}
	return t
}

// startReducing queues every reduce task.
func (t *Table) startReducing(now time.Time) {
	t.reducing = true
	for i := range t.reduces.tasks {
		if e := &t.reduces.tasks[i]; e.state == stateIdle {
			t.reduces.queue(e, now)
		}
	}
	if len(t.reduces.tasks) == 0 {
		t.finished = true
	}
}

func (t *Table) set(k task.Kind) *taskSet {
	if k == task.Map {
		return &t.maps
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

// Assign hands worker an attempt, if any is due: an idle map task first,
// then (once reducing) an idle reduce task, else a backup attempt of a
// straggler.
func (t *Table) Assign(worker int, now time.Time) (Assignment, bool) {
	if t.Over() {
		return Assignment{}, false
	}
	if i, ok := t.maps.nextIdle(); ok {
		return t.start(&t.maps, i, worker, now, false), true
	}
	if t.reducing {
		if i, ok := t.reduces.nextIdle(); ok {
			return t.start(&t.reduces, i, worker, now, false), true
		}
	}
	s := &t.reduces
	if t.maps.done < len(t.maps.tasks) {
		s = &t.maps
	}
	if i, ok := t.straggler(s, worker, now); ok {
		return t.start(s, i, worker, now, true), true
	}
	return Assignment{}, false
}

// nextIdle pops the next idle task off the queue.
func (s *taskSet) nextIdle() (int, bool) {
	for len(s.idle) > 0 {
		i := s.idle[0]
		s.idle = s.idle[1:]
		if s.tasks[i].state == stateIdle {
			return i, true
		}
	}
	return 0, false
}

func (t *Table) start(s *taskSet, i, worker int, now time.Time, backup bool) Assignment {
	e := &s.tasks[i]
	e.attempts++
	e.state = stateRunning
	e.live = append(e.live, attempt{
		number:     e.attempts,
		worker:     worker,
		started:    now,
		leaseUntil: now.Add(t.policy.lease),
		backup:     backup,
	})
	s.running[i] = struct{}{}
	id := task.AttemptID{Task: e.id, Attempt: e.attempts}
	t.history.started(id, worker, now, backup)
	return Assignment{Worker: worker, Attempt: id, Input: e.input, Backup: backup}
}

// straggler picks a running task of s that deserves a backup attempt on
// worker: it has a single live attempt, on another worker, running much
// longer than the committed tasks of its kind took on average. Of tasks
// as old, the lowest index wins.
func (t *Table) straggler(s *taskSet, worker int, now time.Time) (int, bool) {
	if t.policy.backupFactor <= 0 || s.committedCount == 0 {
		return 0, false
	}
	mean := s.committedTime / time.Duration(s.committedCount)
	threshold := max(time.Duration(t.policy.backupFactor*float64(mean)), t.policy.backupMinAge)
	best, bestAge := 0, time.Duration(0)
	for _, i := range s.runningInOrder() {
		e := &s.tasks[i]
		if e.state != stateRunning || len(e.live) != 1 || e.live[0].worker == worker {
			continue
		}
		if age := now.Sub(e.live[0].started); age > threshold && age > bestAge {
			best, bestAge = i, age
		}
	}
	return best, bestAge > 0
}

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

// Heartbeat renews a live attempt's lease. It returns false if the attempt
// is not live (revoked, superseded or unknown): its worker should abandon it.
func (t *Table) Heartbeat(worker int, id task.AttemptID, now time.Time) bool {
	_, a := t.liveAttempt(worker, id)
	if a == nil {
		return false
	}
	a.leaseUntil = now.Add(t.policy.lease)
	return true
}

// SetStatus records the status message that a live attempt's
// application reported, cut to protocol.MaxStatusBytes of valid UTF-8.
func (t *Table) SetStatus(id task.AttemptID, message string) {
	if len(message) > protocol.MaxStatusBytes {
		message = message[:protocol.MaxStatusBytes]
	}
	t.history.setStatus(id, strings.ToValidUTF8(message, ""))
}

// MapCommit returns the commit of map task m, which says which attempt's
// output a reducer reads and where it is served, or false while the task
// has none.
func (t *Table) MapCommit(m int) (Commit, bool) {
	e := &t.maps.tasks[m]
	if e.state != stateDone {
		return Commit{}, false
	}
	return Commit{Attempt: task.AttemptID{Task: e.id, Attempt: e.committed}, Skipped: e.skipped,
		Server: e.server, Counters: e.counters}, true
}

// MapIdleFor returns how long map task m has been idle, or 0 if it is not.
func (t *Table) MapIdleFor(m int, now time.Time) time.Duration {
	e := &t.maps.tasks[m]
	if e.state != stateIdle {
		return 0
	}
	return now.Sub(e.idleSince)
}

// Maps returns the number of map tasks.
func (t *Table) Maps() int { return len(t.maps.tasks) }

// MapCommitsVersion returns a version of the map tasks' commits that
// changes whenever one is lost or replaced once reducing, so that a list
// of them made from MapCommit can tell it is stale.
func (t *Table) MapCommitsVersion() int { return t.mapCommitsVersion }

// Committed calls fn with the committed attempt of every done task (not
// skipped ones).
func (t *Table) Committed(fn func(id task.AttemptID)) {
	for _, s := range []*taskSet{&t.maps, &t.reduces} {
		for i := range s.tasks {
			if e := &s.tasks[i]; e.state == stateDone && !e.skipped {
				fn(task.AttemptID{Task: e.id, Attempt: e.committed})
			}
		}
	}
}

// Abort fails the job with err.
func (t *Table) Abort(err error) {
	if t.failure == nil {
		t.failure = err
	}
}

// TakeSkipped returns the map tasks skipped since it was last called.
func (t *Table) TakeSkipped() []task.ID {
	s := t.newlySkipped
	t.newlySkipped = nil
	return s
}

// Skipped returns the inputs of every skipped map task.
func (t *Table) Skipped() []string {
	var inputs []string
	for _, e := range t.maps.tasks {
		if e.skipped {
			inputs = append(inputs, e.input.String())
		}
	}
	return inputs
}

// Restore marks the tasks a journal recorded as committed (or skipped)
// before a coordinator restart as done, with their counters and servers,
// and numbers new attempts after every earlier start's. It must be called
// on a fresh table.
func (t *Table) Restore(starts int, commits []journal.Commit, now time.Time) error {
	for _, s := range []*taskSet{&t.maps, &t.reduces} {
		for i := range s.tasks {
			s.tasks[i].attempts = starts * attemptsPerStart
		}
	}
	for _, kind := range []task.Kind{task.Map, task.Reduce} {
		for _, c := range commits {
			if c.Attempt.Task.Kind != kind {
				continue
			}
			e := t.entry(c.Attempt.Task)
			if e == nil {
				return fmt.Errorf("the journal commits %v, which this job does not have", c.Attempt)
			}
			if e.state == stateDone {
				continue
			}
			if kind == task.Reduce && !t.reducing {
				// Reduces ran, so every map had been done; a map missing now
				// lost its output then and runs again.
				t.startReducing(now)
			}
			e.skipped = c.Skipped
			t.keep(e, Commit{Attempt: c.Attempt, Skipped: c.Skipped, Server: c.Server, Counters: c.Counters})
			t.markDone(e, c.Attempt.Attempt, 0, now)
		}
	}
	return nil
}

// markDone commits e with attempt (0: skipped) of worker.
func (t *Table) markDone(e *taskEntry, attempt, worker int, now time.Time) {
	s := t.set(e.id.Kind)
	e.state = stateDone
	e.committed, e.committedWorker = attempt, worker
	e.live = nil
	delete(s.running, e.id.Index)
	s.done++
	switch {
	case e.id.Kind == task.Map && t.reducing:
		t.mapCommitsVersion++
	case e.id.Kind == task.Map && s.done == len(s.tasks):
		t.startReducing(now)
	case e.id.Kind == task.Reduce && s.done == len(s.tasks):
		t.finished = true
	}
}

// Attempts returns the history of every attempt, in start order. The
// caller must not modify it.
func (t *Table) Attempts() []AttemptRecord { return t.history.records }

// SetAttemptBytes records how much a finished attempt wrote.
func (t *Table) SetAttemptBytes(id task.AttemptID, bytes int64) { t.history.setBytes(id, bytes) }

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
