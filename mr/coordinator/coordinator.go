// Package coordinator hands out the tasks of one MapReduce job to workers
// over net/rpc and decides which attempt of each task counts.
//
// Every hand-out is an attempt with a number and a lease. Workers renew
// the lease with heartbeats while they run; an attempt whose lease runs out
// (its worker died or froze) or that runs past the hard time limit is
// revoked and its task handed out again. The first successful report of a
// live attempt commits the task; later or revoked reports are ignored, so a
// task's output is always exactly one attempt's. Reduce tasks are handed
// out once every map task has committed, together with the committed
// attempt of each map task, which names the files the reducer reads.
package coordinator

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/rpc"
	"os"
	"path/filepath"
	"sync"
	"time"

	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// workerInfo is what the coordinator knows of a registered worker.
type workerInfo struct {
	host     string
	pid      int
	lastSeen time.Time
	toldExit bool
}

// Coordinator runs one job. Create it with New, serve RPCs with Serve, and
// wait on Done.
type Coordinator struct {
	cfg     Config
	inputs  []task.Input // one per map task
	log     *slog.Logger
	rpc     *rpc.Server
	journal *journal.Journal // nil when Config.NoJournal

	// mu guards every field below it.
	mu         sync.Mutex
	table      *Table
	workers    map[protocol.WorkerID]*workerInfo
	nextWorker protocol.WorkerID
	// mapAttemptRuns caches the committed map attempts, once known.
	mapAttemptRuns protocol.AttemptRuns
	// counters sums the counters of committed attempts.
	counters map[string]int64
	// started is when the coordinator started; ended when the job ended.
	started, ended time.Time
	// changed is closed and replaced whenever the table changes, waking
	// long-polling GetTask calls and the lease reaper.
	changed chan struct{}
	// over is closed once, when the table says the job is over.
	over chan struct{}
	// closed is closed by Close to stop the lease reaper.
	closed    chan struct{}
	closeOnce sync.Once
}

// New checks the config and every input file and returns a coordinator for
// the job. It starts a goroutine that revokes expired leases until the job
// is over.
func New(cfg Config) (*Coordinator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	inputs, err := planInputs(cfg.Inputs, cfg.SplitSize)
	if err != nil {
		return nil, err
	}
	c := &Coordinator{
		cfg:      cfg,
		log:      cfg.Logger,
		inputs:   inputs,
		table:    newTable(inputs, cfg.NReduce, cfg.policy()),
		workers:  make(map[protocol.WorkerID]*workerInfo),
		counters: make(map[string]int64),
		started:  time.Now(),
		changed:  make(chan struct{}),
		over:     make(chan struct{}),
		closed:   make(chan struct{}),
		rpc:      rpc.NewServer(),
	}
	if err := c.rpc.RegisterName(protocol.ServiceName, &Service{c: c}); err != nil {
		return nil, fmt.Errorf("register RPC service: %w", err)
	}
	if !cfg.NoJournal {
		if err := c.openJournal(); err != nil {
			return nil, err
		}
	}
	go c.reapLeases()
	return c, nil
}

// openJournal opens the job's journal and replays what an earlier
// coordinator on this job committed.
func (c *Coordinator) openJournal() error {
	job, err := journal.Fingerprint(c.cfg.Inputs, fmt.Sprintf("nreduce=%d split=%d", c.cfg.NReduce, c.cfg.SplitSize))
	if err != nil {
		return err
	}
	j, state, err := journal.Open(filepath.Join(c.cfg.Dir, jobfiles.Journal), job)
	if err != nil {
		return err
	}
	applied, err := c.table.Restore(state.Starts, state.Commits)
	if err != nil {
		j.Close()
		return fmt.Errorf("%s: %w; remove it to start the job afresh", jobfiles.Journal, err)
	}
	c.journal = j
	for _, commit := range applied {
		for name, n := range commit.Counters {
			c.counters[name] += n
		}
	}
	if state.Starts > 0 {
		p := c.table.Progress()
		c.log.Info("resuming job from journal", "earlier_starts", state.Starts,
			"maps_done", p.MapsDone, "reduces_done", p.ReducesDone)
	}
	if c.table.Over() {
		c.ended = time.Now()
		close(c.over)
	}
	return nil
}

// planInputs checks that every input file exists and can be read, naming
// each one that cannot, and cuts the files into map task inputs: one per
// file, or per splitSize bytes of a larger file when splitSize > 0.
func planInputs(paths []string, splitSize int64) ([]task.Input, error) {
	var errs []error
	var inputs []task.Input
	for _, name := range paths {
		f, err := os.Open(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", name, err))
			continue
		}
		info, err := f.Stat()
		f.Close()
		if err == nil && info.IsDir() {
			err = errors.New("is a directory")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("input %s: %w", name, err))
			continue
		}
		inputs = append(inputs, task.Split(name, info.Size(), splitSize)...)
	}
	return inputs, errors.Join(errs...)
}

// Serve answers RPCs on l until l is closed.
func (c *Coordinator) Serve(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				c.log.Error("accept failed; no longer serving", "err", err)
			}
			return
		}
		go c.ServeConn(conn)
	}
}

// ServeConn answers RPCs on one connection until it closes.
func (c *Coordinator) ServeConn(conn net.Conn) {
	c.rpc.ServeConn(conn)
}

// Close stops the coordinator's background work. RPCs already being served
// are not interrupted; close the listener to stop new ones.
func (c *Coordinator) Close() {
	c.closeOnce.Do(func() { close(c.closed) })
}

// Logger returns the coordinator's logger.
func (c *Coordinator) Logger() *slog.Logger { return c.log }

// Done is closed when the job is over, successfully or not.
func (c *Coordinator) Done() <-chan struct{} { return c.over }

// Err returns why the job failed, or nil.
func (c *Coordinator) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.table.Failure()
}

// Progress returns how far the job is.
func (c *Coordinator) Progress() Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.table.Progress()
}

// WaitForWorkers waits, after the job, until every worker heard from within
// a lease has been told to exit, or ExitGrace has passed.
func (c *Coordinator) WaitForWorkers() {
	timer := time.NewTimer(c.cfg.ExitGrace)
	defer timer.Stop()
	for {
		c.mu.Lock()
		pending := 0
		now := time.Now()
		for _, w := range c.workers {
			if !w.toldExit && now.Sub(w.lastSeen) < c.cfg.Lease {
				pending++
			}
		}
		changed := c.changed
		c.mu.Unlock()
		if pending == 0 {
			return
		}
		select {
		case <-changed:
		case <-timer.C:
			return
		}
	}
}

// Finish cleans up after a job that is over. On success it removes the
// journal and, unless KeepScratch, the intermediate and temporary files,
// so that only mr-out-* remain; on failure it also removes the partial
// outputs. It returns the job's error, naming skipped inputs if any.
func (c *Coordinator) Finish() error {
	c.Close()
	c.mu.Lock()
	failure := c.table.Failure()
	skipped := c.table.Skipped()
	c.mu.Unlock()
	var errs []error
	if c.journal != nil {
		errs = append(errs, c.journal.Remove())
	}
	if !c.cfg.KeepScratch || failure != nil {
		errs = append(errs, jobfiles.RemoveScratch(c.cfg.Dir))
	}
	if failure != nil {
		errs = append(errs, jobfiles.RemoveOutputs(c.cfg.Dir, c.cfg.NReduce))
		return fmt.Errorf("job failed: %w", failure)
	}
	if len(skipped) > 0 {
		c.log.Warn("job done without some inputs", "skipped", skipped)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	return nil
}

// Counters returns the sums of the counters of committed attempts.
func (c *Coordinator) Counters() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.countersCopyLocked()
}

func (c *Coordinator) countersCopyLocked() map[string]int64 { return maps.Clone(c.counters) }

// Skipped returns the inputs left out of the job after failing too often.
func (c *Coordinator) Skipped() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.table.Skipped()
}

// notifyLocked wakes everyone waiting for a change, and closes over when
// the job has just ended.
func (c *Coordinator) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
	if c.table.Over() {
		select {
		case <-c.over:
		default:
			c.ended = time.Now()
			close(c.over)
		}
	}
}

// reapLeases revokes expired attempts as their deadlines pass.
func (c *Coordinator) reapLeases() {
	for {
		select {
		case <-c.closed:
			return
		default:
		}
		c.mu.Lock()
		if c.table.Over() {
			c.mu.Unlock()
			return
		}
		if revoked := c.table.Expire(time.Now()); len(revoked) > 0 {
			for _, r := range revoked {
				c.log.Warn("attempt revoked", "attempt", r.Attempt, "worker", r.Worker, "reason", r.Reason)
			}
			c.logFailureLocked()
			c.notifyLocked()
		}
		skipped := c.table.TakeSkipped()
		next, ok := c.table.NextDeadline()
		changed := c.changed
		c.mu.Unlock()
		c.journalCommits(nil, skipped)

		var timer *time.Timer
		var timeout <-chan time.Time
		if ok {
			timer = time.NewTimer(time.Until(next))
			timeout = timer.C
		}
		select {
		case <-changed:
		case <-timeout:
		case <-c.closed:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

func (c *Coordinator) logFailureLocked() {
	if err := c.table.Failure(); err != nil {
		c.log.Error("job failed", "err", err)
	}
}

// touchLocked records that worker w was heard from. It returns false for
// a worker this coordinator never registered.
func (c *Coordinator) touchLocked(w protocol.WorkerID) (*workerInfo, bool) {
	info, ok := c.workers[w]
	if ok {
		info.lastSeen = time.Now()
	}
	return info, ok
}

// errUnknownWorker is returned to a worker that did not register with this
// coordinator; it should register again.
var errUnknownWorker = errors.New(protocol.ErrUnknownWorker)

func (c *Coordinator) register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextWorker++
	id := c.nextWorker
	c.workers[id] = &workerInfo{host: args.Host, pid: args.PID, lastSeen: time.Now()}
	reply.Worker = id
	reply.NReduce = c.cfg.NReduce
	reply.HeartbeatInterval = c.cfg.HeartbeatInterval
	reply.Lease = c.cfg.Lease
	c.log.Info("worker registered", "worker", id, "host", args.Host, "pid", args.PID)
}

func (c *Coordinator) getTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	poll := time.NewTimer(c.cfg.PollTimeout)
	defer poll.Stop()
	for {
		c.mu.Lock()
		info, ok := c.touchLocked(args.Worker)
		if !ok {
			c.mu.Unlock()
			return errUnknownWorker
		}
		offered := c.offerLocked(args.Worker, info, reply)
		changed := c.changed
		c.mu.Unlock()
		if offered {
			c.logOffer(args.Header, reply)
			return nil
		}
		select {
		case <-changed:
		case <-poll.C:
			reply.Action = protocol.ActionWait
			return nil
		}
	}
}

// offerLocked fills reply with what worker should do now: exit, or run an
// attempt. It returns false, leaving reply alone, if there is nothing yet.
func (c *Coordinator) offerLocked(worker protocol.WorkerID, info *workerInfo, reply *protocol.GetTaskReply) bool {
	if c.table.Over() {
		reply.Action = protocol.ActionExit
		reply.JobFailed = c.table.Failure() != nil
		info.toldExit = true
		c.notifyLocked()
		return true
	}
	a, ok := c.table.Assign(int(worker), time.Now())
	if !ok {
		return false
	}
	reply.Action = protocol.ActionRun
	reply.Attempt = a.Attempt
	reply.Input = a.Input
	reply.Backup = a.Backup
	reply.NReduce = c.cfg.NReduce
	if a.Attempt.Task.Kind == task.Reduce {
		if c.mapAttemptRuns == nil {
			c.mapAttemptRuns = protocol.CompressAttempts(c.table.MapAttempts())
		}
		reply.MapAttempts = c.mapAttemptRuns
	}
	// The reaper must learn of the new lease.
	c.notifyLocked()
	return true
}

// logOffer logs what offerLocked told a worker.
func (c *Coordinator) logOffer(h protocol.Header, reply *protocol.GetTaskReply) {
	switch reply.Action {
	case protocol.ActionRun:
		c.log.Info("attempt started", "worker", h.Worker, "req", h.RequestID, "attempt", reply.Attempt,
			"input", reply.Input.String(), "backup", reply.Backup)
	case protocol.ActionExit:
		c.log.Debug("told worker to exit", "worker", h.Worker, "req", h.RequestID)
	}
}

func (c *Coordinator) heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.touchLocked(args.Worker); !ok {
		return errUnknownWorker
	}
	reply.Revoked = !c.table.Heartbeat(int(args.Worker), args.Attempt, time.Now())
	if reply.Revoked {
		c.log.Info("heartbeat for a revoked attempt", "worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	}
	return nil
}

func (c *Coordinator) report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	log := c.log.With("worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	c.mu.Lock()
	if _, ok := c.touchLocked(args.Worker); !ok {
		c.mu.Unlock()
		return errUnknownWorker
	}
	var result ReportResult
	if args.Error == "" {
		result = c.table.Complete(int(args.Worker), args.Attempt, time.Now())
	} else {
		result = c.table.Fail(int(args.Worker), args.Attempt, args.Error, time.Now())
	}
	if result == ResultCommitted {
		for name, n := range args.Counters {
			c.counters[name] += n
		}
		c.table.SetAttemptBytes(args.Attempt, args.Counters[protocol.CounterBytesWritten])
	}
	skipped := c.table.TakeSkipped()
	p := c.table.Progress()
	var next protocol.GetTaskReply
	if args.WantTask && result != ResultUnknown {
		if info, ok := c.workers[args.Worker]; ok && c.offerLocked(args.Worker, info, &next) {
			reply.Next = &next
		}
	}
	c.mu.Unlock()

	switch result {
	case ResultCommitted:
		reply.Outcome = protocol.OutcomeCommitted
		log.Info("attempt committed", "maps_done", p.MapsDone, "reduces_done", p.ReducesDone)
	case ResultFailed:
		reply.Outcome = protocol.OutcomeFailed
		log.Warn("attempt failed", "err", args.Error)
	case ResultIgnored:
		reply.Outcome = protocol.OutcomeIgnored
		log.Info("report ignored: attempt is no longer live (revoked, superseded or duplicate)", "err", args.Error)
	default:
		reply.Outcome = protocol.OutcomeRejected
		log.Warn("report rejected: no such attempt of this worker")
	}
	// The commit is acknowledged only once the journal has it on disk.
	var commits []journal.Commit
	if result == ResultCommitted {
		commits = append(commits, journal.Commit{Attempt: args.Attempt, Counters: args.Counters})
	}
	c.journalCommits(commits, skipped)
	if reply.Next != nil {
		c.logOffer(args.Header, reply.Next)
	}
	if result == ResultCommitted || result == ResultFailed {
		c.mu.Lock()
		c.logFailureLocked()
		c.notifyLocked()
		c.mu.Unlock()
	}
	return nil
}

// journalCommits appends commits and skipped map tasks to the journal.
// A journal that cannot be written fails the job: a restart could no
// longer trust it.
func (c *Coordinator) journalCommits(commits []journal.Commit, skipped []task.ID) {
	for _, id := range skipped {
		c.log.Warn("map input skipped after too many failures", "task", id, "input", c.inputs[id.Index].String())
		commits = append(commits, journal.Commit{Attempt: task.AttemptID{Task: id}, Skipped: true})
	}
	if c.journal == nil {
		return
	}
	for _, commit := range commits {
		if err := c.journal.Commit(commit); err != nil {
			c.mu.Lock()
			c.table.Abort(err)
			c.logFailureLocked()
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
	}
}

// Service is the RPC receiver; its methods are the protocol's.
type Service struct {
	c *Coordinator
}

// Register introduces a worker and assigns its id.
func (s *Service) Register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) error {
	s.c.register(args, reply)
	return nil
}

// GetTask long-polls for a task.
func (s *Service) GetTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	return s.c.getTask(args, reply)
}

// Heartbeat renews an attempt's lease.
func (s *Service) Heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	return s.c.heartbeat(args, reply)
}

// Report ends an attempt.
func (s *Service) Report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	return s.c.report(args, reply)
}
