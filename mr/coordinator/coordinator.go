// Package coordinator hands out the tasks of one MapReduce job to workers
// over net/rpc and decides which attempt of each task counts.
//
// Every hand-out is an attempt with a number and a lease. Workers renew
// the lease with heartbeats while they run; an attempt whose lease runs out
// (its worker died or froze) or that runs past the hard time limit is
// revoked and its task handed out again. The first successful report of a
// live attempt commits the task: the coordinator makes the commit durable
// (renames a reduce attempt's staged output to mr-out-R, journals the
// commit) before it says so, and only then counts the task done. Later or
// revoked reports are ignored, so a task's output is always exactly one
// attempt's. Reduce tasks are handed out once every map task has
// committed, together with the committed attempt of each map task, which
// names the files the reducer reads. A committed map output that a reducer
// cannot read is run again, in the reduce phase too.
package coordinator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/rpc"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/filekind"
	"6.5840/mr/flock"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// epochBytes is the size of a coordinator start's random epoch.
const epochBytes = 8

// sessionBytes is the size of a worker's random session token: 128 bits,
// never guessed.
const sessionBytes = 16

// Coordinator runs one job. Create it with New, serve RPCs with Serve, and
// wait on Done.
type Coordinator struct {
	cfg    Config
	inputs []task.Input // one per map task
	log    *slog.Logger
	rpc    *rpc.Server
	// replies counts the RPC replies not yet written.
	replies *pendingReplies
	// committer makes what the job decides durable; it holds the journal.
	committer committer
	// epoch identifies this start of the coordinator; requests of another
	// epoch must register again.
	epoch string
	// jobID identifies the job across restarts: the journal's fingerprint,
	// or the epoch without a journal.
	jobID string
	// earlierAttempts lists the attempts begun before this start, from the
	// journal: cleanup removes their files too.
	earlierAttempts []task.AttemptID
	// lock is held on the job folder from New until Close.
	lock *flock.Lock

	// mu guards every field below it.
	mu      sync.Mutex
	table   *table.Table
	workers *registry
	// app identifies the job's application once appKnown: every worker
	// must run the same.
	app      string
	appKnown bool
	// mapOutputs caches the committed map attempts that reduce replies
	// carry, and the servers they index, valid while the table's map
	// commits version is mapOutputsVersion.
	mapOutputs        protocol.AttemptRuns
	mapServers        []string
	mapOutputsVersion int
	// started is when the coordinator started; ended when the job ended.
	started, ended time.Time
	// changed is closed and replaced whenever the table changes, waking
	// long-polling calls and the lease reaper.
	changed chan struct{}
	// over is closed once, when the table says the job is over.
	over chan struct{}
	// closed is closed by Close to stop the lease reaper.
	closed      chan struct{}
	closeOnce   sync.Once
	releaseOnce sync.Once
}

// New checks the config and every input file and returns a coordinator for
// the job. It starts a goroutine that revokes expired leases until the job
// is over.
func New(cfg Config) (*Coordinator, error) {
	cfg = cfg.withFallbacks()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	inputs, err := planInputs(cfg.Inputs, cfg.SplitSize)
	if err != nil {
		return nil, err
	}
	// The folder is this coordinator's before it reads or writes anything
	// there: a second coordinator on it would append to the same journal
	// and commit the same outputs.
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("job folder %s: %w", cfg.Dir, err)
	}
	lock, err := flock.Acquire(filepath.Join(dir, jobfiles.Lock))
	if errors.Is(err, flock.ErrHeld) {
		return nil, fmt.Errorf("job folder %s is in use by another coordinator: %w", dir, err)
	}
	if err != nil {
		return nil, err
	}
	c, err := newLocked(cfg, inputs, lock)
	if err != nil {
		lock.Release()
		return nil, err
	}
	go c.reapLeases()
	return c, nil
}

// newLocked is New once the job folder is locked.
func newLocked(cfg Config, inputs []task.Input, lock *flock.Lock) (*Coordinator, error) {
	stale, err := jobfiles.StaleOutputs(cfg.Dir, cfg.NReduce)
	if err != nil {
		return nil, err
	}
	if len(stale) > 0 {
		return nil, fmt.Errorf("%s holds outputs of another job that this one (-nreduce %d) would not replace: %s; "+
			"remove them or run the job in another folder", cfg.Dir, cfg.NReduce, strings.Join(stale, ", "))
	}
	epoch := make([]byte, epochBytes)
	rand.Read(epoch)
	now := time.Now()
	c := &Coordinator{
		cfg:       cfg,
		log:       cfg.Logger,
		inputs:    inputs,
		epoch:     hex.EncodeToString(epoch),
		table:     table.New(inputs, cfg.NReduce, cfg.policy(), now),
		workers:   newRegistry(cfg.Lease, 0),
		started:   now,
		changed:   make(chan struct{}),
		over:      make(chan struct{}),
		closed:    make(chan struct{}),
		rpc:       rpc.NewServer(),
		replies:   newPendingReplies(),
		lock:      lock,
		committer: committer{dir: cfg.Dir, log: cfg.Logger, inputs: inputs},
	}
	c.mapOutputsVersion = -1
	c.jobID = c.epoch
	if err := c.rpc.RegisterName(protocol.ServiceName, &Service{c: c}); err != nil {
		return nil, fmt.Errorf("register RPC service: %w", err)
	}
	if !cfg.NoJournal {
		if err := c.openJournal(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// openJournal opens the job's journal and replays what an earlier
// coordinator on this job committed.
func (c *Coordinator) openJournal() error {
	job, err := journal.Fingerprint(c.cfg.Inputs, fmt.Sprintf("nreduce=%d split=%d", c.cfg.NReduce, c.cfg.SplitSize))
	if err != nil {
		return err
	}
	j, state, err := journal.Open(filepath.Join(c.cfg.Dir, jobfiles.Journal), job,
		journal.Shape{Maps: len(c.inputs), Reduces: c.cfg.NReduce})
	if err != nil {
		return err
	}
	commits, err := c.checkOutputs(state.Commits)
	if err != nil {
		j.Close()
		return err
	}
	if err := c.table.Restore(state.Starts, restored(commits), time.Now()); err != nil {
		j.Close()
		return fmt.Errorf("%s: %w; remove it to start the job afresh", jobfiles.Journal, err)
	}
	c.committer.journal = j
	c.jobID = job
	c.earlierAttempts = state.Begun
	c.workers.last = protocol.WorkerID(state.LastWorker)
	c.app, c.appKnown = state.App, state.App != ""
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

// restored returns the journal's commits as the table keeps them.
func restored(commits []journal.Commit) []table.Commit {
	kept := make([]table.Commit, len(commits))
	for i, c := range commits {
		kept[i] = table.Commit{Attempt: c.Attempt, Skipped: c.Skipped, Server: c.Server, Counters: c.Counters}
	}
	return kept
}

// planInputs checks that every input is a regular file that can be read,
// naming each one that is not, and cuts the files into map task inputs:
// one per file, or per splitSize bytes of a larger file when splitSize > 0.
// A named pipe or a device is refused: reading it could block forever, or
// give each attempt different data.
func planInputs(paths []string, splitSize int64) ([]task.Input, error) {
	var errs []error
	var inputs []task.Input
	for _, name := range paths {
		f, info, err := filekind.OpenRegular(name)
		var notRegular *filekind.NotRegularError
		switch {
		case errors.As(err, &notRegular):
			errs = append(errs, fmt.Errorf("input %w", err))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("input %s: %w", name, err))
			continue
		}
		f.Close()
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
	c.rpc.ServeCodec(newServerCodec(conn, conn.RemoteAddr().String(), c.replies))
}

// Close stops the coordinator's background work, closes its journal and
// lets go of the job folder. RPCs already being served are not
// interrupted; close the listener to stop new ones.
func (c *Coordinator) Close() {
	c.stop()
	c.releaseOnce.Do(func() {
		c.committer.close()
		c.lock.Release()
	})
}

// stop stops the lease reaper.
func (c *Coordinator) stop() {
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

// Progress counts the tasks of a job done and running, of each kind.
type Progress = table.Progress

// Progress returns how far the job is.
func (c *Coordinator) Progress() Progress {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.table.Progress()
}

// loseSilentWorkersLocked loses every worker with a server that is no
// longer alive, and with it the map outputs it served (the paper's rule):
// their tasks run again.
func (c *Coordinator) loseSilentWorkersLocked(now time.Time) {
	rerun := 0
	for _, w := range c.workers.loseSilent(now) {
		c.log.Warn("worker lost; the map outputs it served run again", "worker", w.id, "host", w.host, "server", w.server)
		reason := fmt.Sprintf("worker %d on %s (serving %s) lost: no call for %v", w.id, w.host, w.server, c.cfg.Lease)
		rerun += len(c.table.LoseServer(w.server, reason, now))
	}
	if rerun > 0 {
		c.logFailureLocked()
		c.notifyLocked()
	}
}

// WaitForWorkers waits, after the job, until every worker heard from within
// a lease has been told to exit and every reply is written, or ExitGrace
// has passed.
func (c *Coordinator) WaitForWorkers() {
	timer := time.NewTimer(c.cfg.ExitGrace)
	defer timer.Stop()
	for {
		c.mu.Lock()
		pending := c.workers.awaited(time.Now())
		changed := c.changed
		c.mu.Unlock()
		if pending == 0 {
			break
		}
		select {
		case <-changed:
		case <-timer.C:
			return
		}
	}
	// A worker is told to exit in a reply: it must get there before the
	// coordinator exits, or the worker never learns how its last report
	// ended.
	select {
	case <-c.replies.whenIdle():
	case <-timer.C:
	}
}

// Counters returns the sums of the counters of committed attempts.
func (c *Coordinator) Counters() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.table.Counters()
}

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

// reapLeases revokes expired attempts and loses silent workers as their
// deadlines pass.
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
		next, ok := c.reapLocked(time.Now())
		changed := c.changed
		c.unlockAndPersist(record{})

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

// reapLocked revokes the attempts expired at now and loses the workers
// silent since a lease, and returns when it next has work, if ever.
func (c *Coordinator) reapLocked(now time.Time) (time.Time, bool) {
	before := c.table.Progress()
	revoked := c.table.Expire(now)
	for _, r := range revoked {
		c.log.Warn("attempt revoked", "attempt", r.Attempt, "worker", r.Worker, "reason", r.Reason)
	}
	// A confirmed lease loss may have failed the job or skipped an input
	// without revoking anything.
	if len(revoked) > 0 || c.table.Progress() != before || c.table.Over() {
		c.logFailureLocked()
		c.notifyLocked()
	}
	c.loseSilentWorkersLocked(now)
	next, ok := c.table.NextDeadline()
	if w, wok := c.workers.nextLoss(); wok && (!ok || w.Before(next)) {
		next, ok = w, true
	}
	return next, ok
}

func (c *Coordinator) logFailureLocked() {
	if err := c.table.Failure(); err != nil {
		c.log.Error("job failed", "err", err)
	}
}

// checkCallerLocked records that the sender of h was heard from. It
// returns errUnknownWorker for a worker this coordinator never registered,
// or one that registered with an earlier start (another epoch), and
// errWrongSession, logged with the peer, for a request that does not carry
// its worker's session: it speaks for a worker it is not.
func (c *Coordinator) checkCallerLocked(h protocol.Header) (*workerInfo, error) {
	info, ok := c.workers.get(h.Worker)
	if !ok || h.Epoch != c.epoch {
		return nil, errUnknownWorker
	}
	if subtle.ConstantTimeCompare([]byte(h.Session), []byte(info.session)) != 1 {
		c.log.Warn("request refused: its session is not its worker's", "worker", h.Worker, "peer", h.Peer(), "req", h.RequestID)
		return nil, errWrongSession
	}
	if n := c.table.Heard(int(h.Worker)); n > 0 {
		c.log.Info("worker heard from after losing leases: the losses do not count against their tasks",
			"worker", h.Worker, "leases", n)
	}
	if info.lost {
		return nil, errUnknownWorker
	}
	c.workers.heard(info, time.Now())
	return info, nil
}
