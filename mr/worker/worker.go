// Package worker runs map and reduce attempts for a coordinator.
//
// A worker registers, then long-polls the coordinator for tasks until told
// to exit. While an attempt runs, a heartbeat goroutine renews its lease;
// if the coordinator answers that the attempt was revoked, the attempt is
// cancelled and renames nothing into place. A worker deletes an attempt's
// files only once the coordinator has said that the attempt did not
// commit; when it cannot know (no answer, or the coordinator restarted) it
// keeps them, and the coordinator removes them at the end of the job. Map
// and Reduce are plain function values (package app), so this package
// never touches plugins.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"6.5840/mr/kvbuf"
	"6.5840/mr/protocol"
	"6.5840/mr/transport"
)

// ErrJobFailed is returned when the coordinator ends the job unsuccessfully.
var ErrJobFailed = errors.New("the coordinator reports that the job failed")

// ErrWorkerRefused is returned (wrapped) when the coordinator refuses the
// worker, e.g. because it runs another application than the job's.
var ErrWorkerRefused = errors.New("the coordinator refused this worker")

// ErrAttemptStuck is returned (wrapped, naming the attempt) when Map or
// Reduce did not return within the grace period after its attempt ended:
// the worker cannot stop it, so the process should exit and be restarted.
var ErrAttemptStuck = errors.New("the application's Map or Reduce did not return")

// Worker runs tasks until the job is over.
type Worker struct {
	cfg Config
	log *slog.Logger
	// calls carries the worker loop's calls, and beats the heartbeats:
	// each keeps its connection for the worker's lifetime.
	calls *client
	beats *client
	// id, epoch and session are what the coordinator assigned at
	// registration; every request's header repeats them.
	id      protocol.WorkerID
	epoch   string
	session string
	// seq numbers requests; the heartbeat goroutine shares it.
	seq atomic.Uint64
	// heartbeatInterval, lease and pollTimeout are set by the coordinator
	// at registration.
	heartbeatInterval time.Duration
	lease             time.Duration
	pollTimeout       time.Duration
	// registered is set once the coordinator has answered at least once.
	registered bool
	// cutOff is set when an attempt was abandoned because no heartbeat got
	// through: the coordinator is unreachable, not finished.
	cutOff bool
	// held records the map outputs in LocalDir.
	held *heldOutputs
	// keepOutputs is set when the coordinator asks that map outputs stay
	// after the job (-keep).
	keepOutputs bool
	// shuffle serves this worker's map output and fetches others'; nil
	// without a Secret.
	shuffle *shuffler
	// segment takes the small map outputs of a worker that serves none,
	// in the shared folder; nil if it keeps a file for each.
	segment *segment
	// mapBuf buffers map output for mapBufReduces partitions; kept
	// between map attempts, which run one at a time, so that its storage
	// is reused.
	mapBuf           *kvbuf.Buffer
	mapBufReduces    int
	mapBufTotalOrder bool
	// splits are the split points of a job in total order, once the
	// coordinator sent them; nil before, and after registering again.
	splits *protocol.SplitPoints
	// s3 holds the client of the job's bucket, made on first use.
	s3 s3Client
}

// New returns a worker with cfg. A bad cfg is refused as Validate says.
func New(cfg Config) (*Worker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.App.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withFallbacks()
	w := &Worker{cfg: cfg, log: cfg.Logger, held: newHeldOutputs(cfg.LocalDir)}
	w.calls = w.newClient(cfg.RetryWindow, cfg.CallTimeout)
	w.beats = w.newClient(0, cfg.CallTimeout)
	// An attempt that ends while its heartbeat is in flight leaves the
	// connection to the next one.
	w.beats.keepOnCancel = true
	return w, nil
}

// newClient returns a client of the coordinator with its own connection.
func (w *Worker) newClient(window, timeout time.Duration) *client {
	dial := func(ctx context.Context) (net.Conn, error) {
		return transport.Dial(ctx, w.cfg.Addr, w.cfg.Secret, w.cfg.TLS)
	}
	if w.cfg.Dial != nil {
		dial = func(context.Context) (net.Conn, error) { return w.cfg.Dial() }
	}
	return &client{dial: dial, window: window, timeout: timeout, addr: w.cfg.Addr.String()}
}

// Run asks for and runs tasks until the coordinator says the job is over
// (nil, or ErrJobFailed), ctx is cancelled, the coordinator stays
// unreachable for the retry window (an error wrapping
// ErrCoordinatorUnreachable), refuses the worker (ErrWorkerRefused) or an
// attempt gets stuck (ErrAttemptStuck). Its error is an ExitError, worded
// for whoever started the worker: of class ExitCoordinatorGone if the
// coordinator went away after this worker had worked for it, else
// ExitFailed.
func (w *Worker) Run(ctx context.Context) error {
	defer w.calls.close()
	defer w.beats.close()
	if !w.cfg.Secret.IsZero() {
		s, err := w.startServing(ctx)
		if err != nil {
			return w.explain(err)
		}
		w.shuffle = s
		// Once this worker stops serving, no one can read the map output
		// in its folder, whatever ended the run: the job, a coordinator
		// gone before it answered the last report, an error.
		defer func() {
			s.close()
			if !w.keepOutputs {
				w.held.removeAll()
			}
		}()
	}
	if w.shuffle == nil && w.cfg.SegmentMax > 0 {
		// Map outputs stay in the shared folder: the small ones go to
		// one segment file.
		w.segment = newSegment(w.cfg.LocalDir)
		defer w.segment.close()
	}
	if err := w.register(ctx); err != nil {
		return w.explain(err)
	}
	return w.explain(w.loop(ctx))
}

// loop runs the tasks the coordinator hands out until it says the job is
// over.
func (w *Worker) loop(ctx context.Context) error {
	// next is a task that came with the last report, if any, and
	// nextRequestID the request that brought it.
	var next *protocol.GetTaskReply
	var nextRequestID string
	for {
		reply, requestID := next, nextRequestID
		next = nil
		if reply == nil {
			var err error
			if reply, requestID, err = w.getTask(ctx); err != nil {
				return err
			}
		}
		switch reply.Action {
		case protocol.ActionExit:
			// In the shared folder the coordinator cleans up; a folder
			// of this machine's only this worker can, when Run returns.
			w.keepOutputs = reply.Keep
			if reply.JobFailed {
				return ErrJobFailed
			}
			w.log.Info("job done; exiting")
			return nil
		case protocol.ActionWait:
			continue
		case protocol.ActionRun:
			w.takeSplits(reply)
			var err error
			if next, nextRequestID, err = w.runAttempt(ctx, requestID, reply); err != nil {
				return err
			}
		default:
			return fmt.Errorf("coordinator sent unknown action %v", reply.Action)
		}
	}
}

// getTask long-polls the coordinator for a task, and returns its reply and
// the request's id. A coordinator that does not know this worker (it
// restarted) has it register again, and the reply is to wait.
func (w *Worker) getTask(ctx context.Context) (*protocol.GetTaskReply, string, error) {
	var reply protocol.GetTaskReply
	args := protocol.GetTaskArgs{Header: w.header(), HaveSplits: w.splits != nil}
	err := w.calls.callWait(ctx, protocol.MethodGetTask, w.pollTimeout, &args, &reply)
	if err == nil && reply.UnknownWorker {
		w.log.Warn("coordinator does not know this worker (it restarted?); registering again")
		if err = w.register(ctx); err == nil {
			return &protocol.GetTaskReply{Action: protocol.ActionWait}, args.RequestID, nil
		}
	}
	if err != nil {
		return nil, "", err
	}
	return &reply, args.RequestID, nil
}

func (w *Worker) register(ctx context.Context) error {
	host, _ := os.Hostname()
	var reply protocol.RegisterReply
	args := protocol.RegisterArgs{Host: host, PID: os.Getpid(), App: w.cfg.AppID, Partition: w.cfg.App.Partition != nil}
	if w.shuffle != nil {
		args.Server = w.shuffle.addr
	}
	if err := w.calls.call(ctx, protocol.MethodRegister, &args, &reply); err != nil {
		return err
	}
	if reply.Refused != "" {
		err := fmt.Errorf("%w: %s", ErrWorkerRefused, reply.Refused)
		if reply.TotalOrder && args.Partition {
			// The application cannot run this job: a usage error.
			return &ExitError{Exit: ExitBadConfig, Err: err}
		}
		return err
	}
	w.splits, w.mapBuf = nil, nil
	w.id, w.epoch, w.session = reply.Worker, reply.Epoch, reply.Session
	w.seq.Store(0)
	w.heartbeatInterval = reply.HeartbeatInterval
	w.lease = reply.Lease
	w.pollTimeout = reply.PollTimeout
	w.registered = true
	w.log = w.cfg.Logger.With("worker", w.id)
	if w.shuffle != nil {
		if err := w.shuffle.setJob(reply.Job, w.log); err != nil {
			return err
		}
	}
	w.log.Info("registered", "coordinator", w.cfg.Addr.String())
	return nil
}

// header returns the header of the next request.
func (w *Worker) header() protocol.Header {
	return protocol.Header{Worker: w.id, Epoch: w.epoch, Session: w.session, RequestID: protocol.RequestIDFor(w.id, w.seq.Add(1))}
}
