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
//
// What is decided lives in the table (package table), a pure state
// machine; this package does the locking, the waiting and the I/O around
// it. One RPC per file: register.go, gettask.go, heartbeat.go, verdict.go
// (Report) and mapoutputs.go, behind the Service and its check of the
// caller (service.go). The rule of worker liveness is in workers.go; the
// reaper of leases and silent workers in reaper.go; every durable write
// (journal lines, published outputs) in committer.go; resuming from the
// journal in resume.go; the end of the job in finish.go; the status
// page's and the report's view in snapshot.go.
package coordinator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/rpc"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/filekind"
	"6.5840/mr/flock"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/s3"
	"6.5840/mr/s3job"
	"6.5840/mr/task"
)

// epochBytes is the size of a coordinator start's random epoch.
const epochBytes = 8

// Coordinator runs one job. Create it with New, serve RPCs with Serve, and
// wait on Done.
type Coordinator struct {
	cfg    Config
	inputs []task.Input // one per map task
	// inputIDs identify the inputs' versions, for the journal's
	// fingerprint.
	inputIDs []journal.InputID
	// output is the job's output prefix in a bucket; nil for Dir.
	output *s3job.Output
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
	// timing is what workers registering now are told (timing.go).
	timing timing
	// locations is where the map outputs are, as reducers are told.
	locations *mapLocations
	// started is when the coordinator started; ended when the job ended.
	started, ended time.Time
	// changed is closed and replaced whenever the table changes, waking
	// the calls that wait for map outputs or a commit, and the lease
	// reaper; pollers are the GetTask calls waiting for a task.
	changed chan struct{}
	pollers pollers
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
	inputs, ids, err := planInputs(context.Background(), cfg.S3, cfg.Inputs, cfg.SplitSize)
	if err != nil {
		return nil, err
	}
	output, err := openOutput(context.Background(), cfg)
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
	c, err := newLocked(cfg, inputs, ids, output, lock)
	if err != nil {
		lock.Release()
		return nil, err
	}
	go c.reapLeases()
	return c, nil
}

// newLocked is New once the job folder is locked.
func newLocked(cfg Config, inputs []task.Input, ids []journal.InputID, output *s3job.Output, lock *flock.Lock) (*Coordinator, error) {
	stale, err := jobfiles.StaleOutputs(cfg.Dir, cfg.NReduce)
	if err != nil {
		return nil, err
	}
	if len(stale) > 0 && output == nil {
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
		inputIDs:  ids,
		output:    output,
		epoch:     hex.EncodeToString(epoch),
		table:     newTable(cfg, inputs, now),
		workers:   newRegistry(cfg.Lease, 0),
		started:   now,
		changed:   make(chan struct{}),
		over:      make(chan struct{}),
		closed:    make(chan struct{}),
		rpc:       rpc.NewServer(),
		replies:   newPendingReplies(),
		locations: newMapLocations(),
		timing:    timing{interval: cfg.HeartbeatInterval, lease: cfg.Lease, poll: cfg.PollTimeout},
		lock:      lock,
		committer: committer{dir: cfg.Dir, log: cfg.Logger, inputs: inputs, output: output},
	}
	c.jobID = c.epoch
	if err := c.rpc.RegisterName(protocol.ServiceName, &Service{c: c}); err != nil {
		return nil, fmt.Errorf("register RPC service: %w", err)
	}
	// A fresh job (no journal to resume) refuses an output prefix that
	// holds outputs already, before it writes anything: not even a
	// journal, whose start line would make the next start a resume.
	if fresh, err := c.freshStart(); err != nil {
		return nil, err
	} else if fresh {
		if _, err := c.checkBucketOutputs(nil, false, nil); err != nil {
			return nil, err
		}
	}
	if !cfg.NoJournal {
		if err := c.openJournal(); err != nil {
			return nil, err
		}
	}
	// Split points picked already (a job with nothing to sample) are made
	// durable before any map task may use them.
	c.mu.Lock()
	if err := c.unlockAndPersist(record{}); err != nil {
		c.committer.close()
		return nil, err
	}
	return c, nil
}

// planInputs checks that every input is a regular file that can be read,
// or objects in a bucket that can be listed (see s3job.Objects), naming
// each one that is not, and cuts them into map task inputs: one per file
// or object, or per splitSize bytes of a larger one when splitSize > 0.
// It returns what identifies each input's version too, for the journal.
// A named pipe or a device is refused: reading it could block forever,
// or give each attempt different data.
func planInputs(ctx context.Context, c *s3.Client, paths []string, splitSize int64) ([]task.Input, []journal.InputID, error) {
	var errs []error
	var inputs []task.Input
	var ids []journal.InputID
	for _, name := range paths {
		if s3.IsLocation(name) {
			objects, err := s3job.Objects(ctx, c, name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, o := range objects {
				inputs = append(inputs, o.Split(splitSize)...)
				ids = append(ids, journal.InputID{Name: o.Name, Size: o.Size, Version: o.ETag})
			}
			continue
		}
		info, err := filekind.StatReadable(name)
		var notRegular *filekind.NotRegularError
		switch {
		case errors.As(err, &notRegular):
			errs = append(errs, fmt.Errorf("input %w", err))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("input %s: %w", name, err))
			continue
		}
		inputs = append(inputs, task.Split(name, info.Size(), splitSize)...)
		ids = append(ids, journal.InputID{Name: name, Size: info.Size(), Version: strconv.FormatInt(info.ModTime().UnixNano(), 10)})
	}
	return inputs, ids, errors.Join(errs...)
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

// notifyLocked wakes everyone waiting for a change but the pollers, of
// whom it wakes one, and all once the job is over; it closes over when
// the job has just ended.
func (c *Coordinator) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
	c.pollers.wakeOne()
	if c.table.Over() {
		c.pollers.wakeAll()
		select {
		case <-c.over:
		default:
			c.ended = time.Now()
			close(c.over)
		}
	}
}

func (c *Coordinator) logFailureLocked() {
	if err := c.table.Failure(); err != nil {
		c.log.Error("job failed", "err", err)
	}
}
