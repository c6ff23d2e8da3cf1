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
