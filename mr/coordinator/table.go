package coordinator

import (
	"fmt"
	"time"

	"6.5840/mr/journal"
	"6.5840/mr/task"
)

// taskState is where a task stands.
type taskState uint8

const (
	stateIdle    taskState = iota // waiting to be handed out
	stateRunning                  // one or more live attempts
	stateDone                     // an attempt committed
)

func (s taskState) String() string {
	switch s {
	case stateIdle:
		return "idle"
	case stateRunning:
		return "running"
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
	// maxFailures is how many failed or lost attempts a task survives;
	// one more fails the job. Zero means no limit.
	maxFailures int
	// backupFactor enables backup attempts when positive: a task running
	// longer than backupFactor times the phase's mean committed duration
	// (and at least backupMinAge) gets a second attempt once no task of
	// the phase is idle.
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
	id        task.ID
	input     task.Input // map tasks only
	state     taskState
	attempts  int       // attempts handed out so far; the next gets attempts+1
	live      []attempt // running attempts: one, or two with a backup
	committed int       // the committed attempt's number once done; 0 if skipped
	skipped   bool      // a map task given up on: its input is left out
	failures  int
	lastError string
}

// Assignment is an attempt handed to a worker.
type Assignment struct {
	Worker  int
	Attempt task.AttemptID
	Input   task.Input
	Backup  bool
}

// Revocation records an attempt the table gave up on.
type Revocation struct {
	Attempt task.AttemptID
	Worker  int
	Reason  string
}

// ReportResult says what a completion or failure report did.
type ReportResult uint8

// The results of reporting an attempt.
const (
	ResultCommitted ReportResult = iota + 1 // the attempt is the task's result
	ResultFailed                            // a live attempt failed; the task will be retried
	ResultIgnored                           // the attempt was no longer live: stale or duplicate
	ResultUnknown                           // no such task or attempt
)

func (r ReportResult) String() string {
	return [...]string{"invalid", "committed", "failed", "ignored", "unknown"}[r]
}

// Table is the scheduling state of one job: every map and reduce task and
// its live attempts. It is not safe for concurrent use; time is passed in.
// Reduce tasks are handed out only once every map task is done.
type Table struct {
	policy  policy
	maps    []taskEntry
	reduces []taskEntry
	// phase is Map, then Reduce; finished is set when every reduce is done.
	phase    task.Kind
	finished bool
	// failure is why the job failed, or nil.
	failure error
	// idle queues the indexes of the current phase's tasks that wait to be
	// handed out; entries whose task is no longer idle are skipped.
	idle []int
	// running holds the indexes of the current phase's running tasks.
	running map[int]struct{}
	// phaseDone counts committed tasks of the current phase;
	// phaseDuration sums their committed attempts' run times.
	phaseDone     int
	phaseDuration time.Duration
	// mapAttempts holds, once the map phase is over, the committed attempt
	// of every map task (0 for a skipped one).
	mapAttempts []int
	// newlySkipped holds map tasks skipped since TakeSkipped last ran.
	newlySkipped []task.ID
	// history records every attempt.
	history history
}

// newTable returns a table with one map task per input and nReduce reduce
// tasks, in the map phase.
func newTable(inputs []task.Input, nReduce int, p policy) *Table {
	t := &Table{policy: p, phase: task.Map, running: make(map[int]struct{})}
	t.maps = make([]taskEntry, len(inputs))
	for i, in := range inputs {
		t.maps[i] = taskEntry{id: task.ID{Kind: task.Map, Index: i}, input: in}
	}
	t.reduces = make([]taskEntry, nReduce)
	for i := range t.reduces {
		t.reduces[i] = taskEntry{id: task.ID{Kind: task.Reduce, Index: i}}
	}
	t.startPhase(task.Map)
	return t
}

func (t *Table) startPhase(k task.Kind) {
	t.phase = k
	t.phaseDone, t.phaseDuration = 0, 0
	tasks := t.tasks(k)
	t.idle = make([]int, len(tasks))
	for i := range tasks {
		t.idle[i] = i
	}
	if len(tasks) == 0 {
		t.endPhase()
	}
}

func (t *Table) endPhase() {
	if t.phase == task.Map {
		t.mapAttempts = make([]int, len(t.maps))
		for i := range t.maps {
			t.mapAttempts[i] = t.maps[i].committed
		}
		t.startPhase(task.Reduce)
		return
	}
	t.finished = true
	t.idle = nil
}

func (t *Table) tasks(k task.Kind) []taskEntry {
	if k == task.Map {
		return t.maps
	}
	return t.reduces
}

// entry returns the task id names, or nil if there is none.
func (t *Table) entry(id task.ID) *taskEntry {
	tasks := t.tasks(id.Kind)
	if !id.Kind.Valid() || id.Index < 0 || id.Index >= len(tasks) {
		return nil
	}
	return &tasks[id.Index]
}

// Over reports whether the job has ended, successfully or not.
func (t *Table) Over() bool { return t.finished || t.failure != nil }

// Failure returns why the job failed, or nil.
func (t *Table) Failure() error { return t.failure }

// MapAttempts returns the committed attempt of each map task; it is nil
// until the map phase is over. The caller must not modify it.
func (t *Table) MapAttempts() []int { return t.mapAttempts }

// Assign hands worker an attempt of the current phase, if any is due: an
// idle task first, else a backup attempt of a straggler.
func (t *Table) Assign(worker int, now time.Time) (Assignment, bool) {
	if t.Over() {
		return Assignment{}, false
	}
	tasks := t.tasks(t.phase)
	for len(t.idle) > 0 {
		i := t.idle[0]
		t.idle = t.idle[1:]
		if tasks[i].state == stateIdle {
			return t.start(&tasks[i], worker, now, false), true
		}
	}
	if i, ok := t.straggler(worker, now); ok {
		return t.start(&tasks[i], worker, now, true), true
	}
	return Assignment{}, false
}

func (t *Table) start(e *taskEntry, worker int, now time.Time, backup bool) Assignment {
	e.attempts++
	e.state = stateRunning
	e.live = append(e.live, attempt{
		number:     e.attempts,
		worker:     worker,
		started:    now,
		leaseUntil: now.Add(t.policy.lease),
		backup:     backup,
	})
	t.running[e.id.Index] = struct{}{}
	t.history.started(task.AttemptID{Task: e.id, Attempt: e.attempts}, worker, now, backup)
	return Assignment{
		Worker:  worker,
		Attempt: task.AttemptID{Task: e.id, Attempt: e.attempts},
		Input:   e.input,
		Backup:  backup,
	}
}

// straggler picks a running task that deserves a backup attempt on worker:
// it has a single live attempt, on another worker, running much longer than
// the phase's committed tasks took on average.
func (t *Table) straggler(worker int, now time.Time) (int, bool) {
	if t.policy.backupFactor <= 0 || t.phaseDone == 0 {
		return 0, false
	}
	mean := t.phaseDuration / time.Duration(t.phaseDone)
	threshold := max(time.Duration(t.policy.backupFactor*float64(mean)), t.policy.backupMinAge)
	tasks := t.tasks(t.phase)
	best, bestAge := 0, time.Duration(0)
	for i := range t.running {
		e := &tasks[i]
		if len(e.live) != 1 || e.live[0].worker == worker {
			continue
		}
		if age := now.Sub(e.live[0].started); age > threshold && age > bestAge {
			best, bestAge = i, age
		}
	}
	return best, bestAge > 0
}

// Heartbeat renews a live attempt's lease. It returns false if the attempt
// is not live (revoked, superseded or unknown): its worker should abandon it.
func (t *Table) Heartbeat(worker int, id task.AttemptID, now time.Time) bool {
	e := t.entry(id.Task)
	if e == nil {
		return false
	}
	for i := range e.live {
		if e.live[i].number == id.Attempt && e.live[i].worker == worker {
			e.live[i].leaseUntil = now.Add(t.policy.lease)
			return true
		}
	}
	return false
}

// Complete records that an attempt finished successfully. The first
// completion of a live attempt commits the task and revokes its other
// attempts; any other report is ignored.
func (t *Table) Complete(worker int, id task.AttemptID, now time.Time) ReportResult {
	e, a, result := t.takeLive(worker, id)
	if e == nil {
		return result
	}
	t.history.ended(id, now, OutcomeCommitted, "")
	for _, other := range e.live {
		t.history.ended(task.AttemptID{Task: e.id, Attempt: other.number}, now, OutcomeSuperseded,
			fmt.Sprintf("attempt %d committed first", a.number))
	}
	t.markDone(e, a.number)
	t.phaseDuration += now.Sub(a.started)
	return ResultCommitted
}

// markDone commits e with attempt (0: skipped) and ends the phase if e was
// its last task.
func (t *Table) markDone(e *taskEntry, attempt int) {
	e.state = stateDone
	e.committed = attempt
	e.live = nil
	delete(t.running, e.id.Index)
	t.phaseDone++
	if t.phaseDone == len(t.tasks(t.phase)) {
		t.endPhase()
	}
}

// Fail records that a live attempt failed with reason; the task is retried
// unless it has now failed more often than the policy allows, which fails
// the job.
func (t *Table) Fail(worker int, id task.AttemptID, reason string, now time.Time) ReportResult {
	e, _, result := t.takeLive(worker, id)
	if e == nil {
		return result
	}
	t.history.ended(id, now, OutcomeFailed, reason)
	t.recordFailure(e, reason)
	return ResultFailed
}

// takeLive removes attempt id from its task's live attempts. It returns the
// task and the attempt, or a nil task and why not.
func (t *Table) takeLive(worker int, id task.AttemptID) (*taskEntry, attempt, ReportResult) {
	e := t.entry(id.Task)
	if e == nil || id.Attempt < 1 || id.Attempt > e.attempts {
		return nil, attempt{}, ResultUnknown
	}
	if t.Over() {
		return nil, attempt{}, ResultIgnored
	}
	for i, a := range e.live {
		if a.number == id.Attempt {
			if a.worker != worker {
				return nil, attempt{}, ResultUnknown
			}
			e.live = append(e.live[:i], e.live[i+1:]...)
			return e, a, 0
		}
	}
	return nil, attempt{}, ResultIgnored
}

// recordFailure counts a failed or lost attempt of e, whose live list no
// longer holds it, and requeues or fails as the policy says.
func (t *Table) recordFailure(e *taskEntry, reason string) {
	e.failures++
	e.lastError = reason
	if t.policy.maxFailures > 0 && e.failures > t.policy.maxFailures {
		if t.policy.skipBadInputs && e.id.Kind == task.Map {
			e.skipped = true
			e.lastError = fmt.Sprintf("skipped after %d failures; last: %s", e.failures, reason)
			t.newlySkipped = append(t.newlySkipped, e.id)
			t.markDone(e, 0)
			return
		}
		what := e.id.String()
		if e.id.Kind == task.Map {
			what += fmt.Sprintf(" (input %s)", e.input)
		}
		t.failure = fmt.Errorf("%s failed %d times; last: %s", what, e.failures, reason)
		return
	}
	if len(e.live) == 0 {
		e.state = stateIdle
		delete(t.running, e.id.Index)
		t.idle = append(t.idle, e.id.Index)
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
	for _, e := range t.maps {
		if e.skipped {
			inputs = append(inputs, e.input.String())
		}
	}
	return inputs
}

// Restore marks the tasks a journal recorded as committed (or skipped)
// before a coordinator restart as done, and numbers new attempts after
// every earlier start's. It must be called on a fresh table. Reduce commits
// count only if every map commit is there too. It returns the commits it
// applied.
func (t *Table) Restore(starts int, commits []journal.Commit) ([]journal.Commit, error) {
	var applied []journal.Commit
	for _, tasks := range [][]taskEntry{t.maps, t.reduces} {
		for i := range tasks {
			tasks[i].attempts = starts * attemptsPerStart
		}
	}
	for _, kind := range []task.Kind{task.Map, task.Reduce} {
		for _, c := range commits {
			if c.Attempt.Task.Kind != kind {
				continue
			}
			e := t.entry(c.Attempt.Task)
			if e == nil {
				return nil, fmt.Errorf("the journal commits %v, which this job does not have", c.Attempt)
			}
			if t.phase != kind || e.state == stateDone {
				continue
			}
			e.skipped = c.Skipped
			t.markDone(e, c.Attempt.Attempt)
			applied = append(applied, c)
		}
	}
	return applied, nil
}

// Expire revokes every attempt whose lease or hard limit has passed and
// returns them.
func (t *Table) Expire(now time.Time) []Revocation {
	if t.Over() {
		return nil
	}
	var revoked []Revocation
	tasks := t.tasks(t.phase)
	for i := range t.running {
		e := &tasks[i]
		for j := 0; j < len(e.live); {
			a := e.live[j]
			reason := ""
			switch {
			case !now.Before(a.leaseUntil):
				reason = fmt.Sprintf("no heartbeat for %v", t.policy.lease)
			case t.policy.hardLimit > 0 && now.Sub(a.started) >= t.policy.hardLimit:
				reason = fmt.Sprintf("ran longer than %v", t.policy.hardLimit)
			default:
				j++
				continue
			}
			e.live = append(e.live[:j], e.live[j+1:]...)
			t.history.ended(task.AttemptID{Task: e.id, Attempt: a.number}, now, OutcomeRevoked, reason)
			revoked = append(revoked, Revocation{
				Attempt: task.AttemptID{Task: e.id, Attempt: a.number},
				Worker:  a.worker,
				Reason:  reason,
			})
			t.recordFailure(e, fmt.Sprintf("attempt %d on worker %d: %s", a.number, a.worker, reason))
			if t.failure != nil {
				return revoked
			}
		}
	}
	return revoked
}

// NextDeadline returns the earliest time at which Expire could revoke an
// attempt, and false if no attempt is live.
func (t *Table) NextDeadline() (time.Time, bool) {
	var next time.Time
	found := false
	tasks := t.tasks(t.phase)
	for i := range t.running {
		for _, a := range tasks[i].live {
			d := a.leaseUntil
			if t.policy.hardLimit > 0 {
				if hard := a.started.Add(t.policy.hardLimit); hard.Before(d) {
					d = hard
				}
			}
			if !found || d.Before(next) {
				next, found = d, true
			}
		}
	}
	return next, found
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
	Running              int
}

// Progress returns how far the job is.
func (t *Table) Progress() Progress {
	p := Progress{Maps: len(t.maps), Reduces: len(t.reduces), Running: len(t.running)}
	switch {
	case t.finished:
		p.MapsDone, p.ReducesDone = p.Maps, p.Reduces
	case t.phase == task.Reduce:
		p.MapsDone, p.ReducesDone = p.Maps, t.phaseDone
	default:
		p.MapsDone = t.phaseDone
	}
	return p
}
