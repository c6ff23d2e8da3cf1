// Package worker runs map and reduce attempts for a coordinator.
//
// A worker registers, then long-polls the coordinator for tasks until told
// to exit. While an attempt runs, a heartbeat goroutine renews its lease;
// if the coordinator answers that the attempt was revoked, the attempt is
// cancelled and renames nothing into place. Map and Reduce are plain
// function values (package app), so this package never touches plugins.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/rpc"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// DefaultRetryWindow is how long a worker keeps trying to reach an
// unreachable coordinator before it gives up.
const DefaultRetryWindow = 5 * time.Second

// ErrJobFailed is returned when the coordinator ends the job unsuccessfully.
var ErrJobFailed = errors.New("the coordinator reports that the job failed")

// Config says how a worker finds its coordinator and what it runs.
type Config struct {
	// Addr is the coordinator's address, used by the default Dial.
	Addr protocol.Addr
	// Dial connects to the coordinator; nil dials Addr.
	Dial func() (net.Conn, error)
	// App holds Map, Reduce and the optional functions.
	App app.App
	// Dir is where intermediate and output files go; "" means ".".
	Dir string
	// RetryWindow is how long the coordinator may be unreachable before
	// the worker gives up; zero means DefaultRetryWindow.
	RetryWindow time.Duration
	// SortBuffer bounds the map output a map attempt keeps in memory before
	// spilling sorted runs to disk; zero means DefaultSortBuffer.
	SortBuffer int64
	// Logger receives the worker's logs; nil discards them.
	Logger *slog.Logger
}

// Worker runs tasks until the job is over.
type Worker struct {
	cfg   Config
	log   *slog.Logger
	calls *client
	id    protocol.WorkerID
	// seq numbers requests; the heartbeat goroutine shares it.
	seq atomic.Uint64
	// heartbeatInterval and lease are set by the coordinator at registration.
	heartbeatInterval time.Duration
	lease             time.Duration
	// registered is set once the coordinator has answered at least once.
	registered bool
}

// New returns a worker with cfg.
func New(cfg Config) (*Worker, error) {
	if err := cfg.App.Validate(); err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	if cfg.RetryWindow == 0 {
		cfg.RetryWindow = DefaultRetryWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Dial == nil {
		addr := cfg.Addr
		cfg.Dial = func() (net.Conn, error) { return net.Dial(addr.Network, addr.Address) }
	}
	w := &Worker{cfg: cfg, log: cfg.Logger}
	w.calls = w.newClient()
	return w, nil
}

func (w *Worker) newClient() *client {
	return &client{dial: w.cfg.Dial, window: w.cfg.RetryWindow, addr: w.cfg.Addr.String()}
}

// Run asks for and runs tasks until the coordinator says the job is over
// (nil, or ErrJobFailed), ctx is cancelled, or the coordinator stays
// unreachable for the retry window (an error wrapping
// ErrCoordinatorUnreachable).
func (w *Worker) Run(ctx context.Context) error {
	defer w.calls.close()
	if err := w.register(ctx); err != nil {
		return err
	}
	// next is a task that came with the last report, if any.
	var next *protocol.GetTaskReply
	var nextRequestID string
	for {
		var reply protocol.GetTaskReply
		requestID := nextRequestID
		if next != nil {
			reply, next = *next, nil
		} else {
			args := protocol.GetTaskArgs{Header: w.header()}
			requestID = args.RequestID
			err := w.calls.call(ctx, protocol.MethodGetTask, &args, &reply)
			if isUnknownWorker(err) {
				w.log.Warn("coordinator does not know this worker; registering again")
				if err = w.register(ctx); err == nil {
					continue
				}
			}
			if err != nil {
				return err
			}
		}
		switch reply.Action {
		case protocol.ActionExit:
			if reply.JobFailed {
				return ErrJobFailed
			}
			w.log.Info("job done; exiting")
			return nil
		case protocol.ActionWait:
			continue
		case protocol.ActionRun:
			var err error
			if next, nextRequestID, err = w.runAttempt(ctx, requestID, &reply); err != nil {
				return err
			}
		default:
			return fmt.Errorf("coordinator sent unknown action %v", reply.Action)
		}
	}
}

// Registered reports whether the worker ever reached its coordinator.
func (w *Worker) Registered() bool { return w.registered }

func (w *Worker) register(ctx context.Context) error {
	host, _ := os.Hostname()
	var reply protocol.RegisterReply
	args := protocol.RegisterArgs{Host: host, PID: os.Getpid()}
	if err := w.calls.call(ctx, protocol.MethodRegister, &args, &reply); err != nil {
		return err
	}
	w.id = reply.Worker
	w.seq.Store(0)
	w.heartbeatInterval = reply.HeartbeatInterval
	w.lease = reply.Lease
	w.registered = true
	w.log = w.cfg.Logger.With("worker", w.id)
	w.log.Info("registered", "coordinator", w.cfg.Addr.String())
	return nil
}

// header returns the header of the next request.
func (w *Worker) header() protocol.Header {
	return protocol.Header{Worker: w.id, RequestID: protocol.RequestIDFor(w.id, w.seq.Add(1))}
}

func isUnknownWorker(err error) bool {
	var serverErr rpc.ServerError
	return errors.As(err, &serverErr) && strings.Contains(string(serverErr), protocol.ErrUnknownWorker)
}

// runAttempt runs one attempt with heartbeats and reports its outcome. It
// returns the next task if the coordinator sent one with its answer, and
// the request id that brought it; an error only when the worker should
// stop.
func (w *Worker) runAttempt(ctx context.Context, requestID string, reply *protocol.GetTaskReply) (*protocol.GetTaskReply, string, error) {
	log := w.log.With("attempt", reply.Attempt)
	log.Info("attempt started", "req", requestID, "input", reply.Input.String(), "backup", reply.Backup)
	start := time.Now()

	attemptCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	beats := make(chan struct{})
	go func() {
		defer close(beats)
		w.heartbeat(attemptCtx, cancel, reply.Attempt)
	}()

	mr.TakeCounts() // drop counts made outside any attempt
	var err error
	// written lists files only this attempt owns, to be removed if it
	// does not commit. (A reduce output is shared by all attempts of the
	// task and is never removed.)
	var written []string
	var counters map[string]int64
	switch reply.Attempt.Task.Kind {
	case task.Map:
		job := mapJob{
			app:        w.cfg.App,
			dir:        w.cfg.Dir,
			attempt:    reply.Attempt,
			input:      reply.Input,
			nReduce:    reply.NReduce,
			sortBuffer: w.cfg.SortBuffer,
		}
		var stats mapStats
		written, stats, err = job.write(attemptCtx)
		counters = map[string]int64{
			protocol.CounterMapInputBytes:    stats.inputBytes,
			protocol.CounterMapOutputRecords: stats.outputRecords,
			protocol.CounterSpills:           stats.spills,
			protocol.CounterBytesWritten:     totalSize(written),
		}
		if w.cfg.App.Combine != nil {
			counters[protocol.CounterCombineOutputRecords] = stats.writtenRecords
		}
	case task.Reduce:
		job := reduceJob{app: w.cfg.App, dir: w.cfg.Dir, attempt: reply.Attempt, mapAttempts: reply.MapAttempts.Expand()}
		var stats reduceStats
		stats, err = job.write(attemptCtx)
		counters = map[string]int64{
			protocol.CounterReduceInputGroups:   stats.groups,
			protocol.CounterReduceOutputRecords: stats.records,
		}
		if err == nil {
			counters[protocol.CounterBytesWritten] = totalSize([]string{job.output()})
		}
	default:
		err = fmt.Errorf("unknown task kind %v", reply.Attempt.Task.Kind)
	}
	cause := context.Cause(attemptCtx)
	revoked := errors.Is(cause, errRevoked) || errors.Is(cause, errLeaseLost)
	cancel(nil)
	<-beats
	if ctx.Err() != nil {
		return nil, "", ctx.Err()
	}
	if revoked {
		removeFiles(written)
		log.Warn("attempt abandoned", "reason", cause, "elapsed", time.Since(start))
		return nil, "", nil
	}

	for name, n := range mr.TakeCounts() {
		counters[name] += n
	}
	args := protocol.ReportArgs{Header: w.header(), Attempt: reply.Attempt, Counters: counters, WantTask: true}
	if err != nil {
		args.Error = err.Error()
		log.Error("attempt failed", "req", args.RequestID, "err", err)
	}
	var out protocol.ReportReply
	rerr := w.calls.call(ctx, protocol.MethodReport, &args, &out)
	if rerr != nil || out.Outcome != protocol.OutcomeCommitted {
		removeFiles(written)
	}
	if rerr != nil {
		if isUnknownWorker(rerr) {
			log.Warn("report refused: the coordinator does not know this worker", "req", args.RequestID)
			return nil, "", nil
		}
		return nil, "", rerr
	}
	log.Info("attempt reported", "req", args.RequestID, "outcome", out.Outcome, "elapsed", time.Since(start))
	return out.Next, args.RequestID, nil
}

// totalSize returns the summed size of the files at paths.
func totalSize(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if info, err := os.Stat(p); err == nil {
			n += info.Size()
		}
	}
	return n
}

// removeFiles removes the files of an attempt that did not commit.
func removeFiles(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}

// errRevoked cancels an attempt the coordinator revoked.
var errRevoked = errors.New("attempt revoked by the coordinator")

// errLeaseLost cancels an attempt whose lease must have run out because no
// heartbeat got through for that long.
var errLeaseLost = errors.New("no heartbeat got through for a whole lease")

// heartbeat renews the attempt's lease every interval until ctx ends. It
// cancels the attempt when the coordinator says it was revoked, does not
// know this worker (it restarted), or could not be told for a whole lease.
// It uses a connection of its own so that it never waits behind the
// worker's other calls.
func (w *Worker) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, id task.AttemptID) {
	if w.heartbeatInterval <= 0 {
		return
	}
	calls := w.newClient()
	// A failed call is retried at the next tick, not inside the call.
	calls.window = 0
	defer calls.close()
	ticker := time.NewTicker(w.heartbeatInterval)
	defer ticker.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		args := protocol.HeartbeatArgs{Header: w.header(), Attempt: id}
		var reply protocol.HeartbeatReply
		err := calls.call(ctx, protocol.MethodHeartbeat, &args, &reply)
		switch {
		case ctx.Err() != nil:
			return
		case isUnknownWorker(err) || err == nil && reply.Revoked:
			cancel(errRevoked)
			return
		case err == nil:
			lastOK = time.Now()
		case w.lease > 0 && time.Since(lastOK) >= w.lease:
			w.log.Warn("abandoning attempt: lease lost", "attempt", id, "req", args.RequestID, "err", err)
			cancel(errLeaseLost)
			return
		default:
			w.log.Warn("heartbeat failed", "attempt", id, "req", args.RequestID, "err", err)
		}
	}
}
