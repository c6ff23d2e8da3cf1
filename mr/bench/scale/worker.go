package scale

import (
	"context"
	"fmt"
	"net/rpc"
	"os"
	"time"

	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// simHost is the Host a simulated worker registers with.
const simHost = "scale-sim"

// simWorker is one simulated worker: its two connections, what Register
// told it, and a count of its tasks. It is used by its own goroutine only.
type simWorker struct {
	index int // 0-based
	s     *sim
	// calls carries the worker's calls and beats its heartbeats.
	calls, beats *rpc.Client
	id           protocol.WorkerID
	epoch        string
	session      string
	seq          uint64
	interval     time.Duration
	poll         time.Duration
	tasks        int
	// committed lists the attempts this worker committed, kept only by
	// the worker that is dropped: they must run again.
	committed []task.AttemptID
}

// run registers and runs tasks until the coordinator says the job is
// over, this worker is dropped, or a call fails.
func (w *simWorker) run(ctx context.Context) error {
	defer w.close()
	if err := w.connect(ctx); err != nil {
		return err
	}
	if err := w.register(); err != nil {
		return err
	}
	var next *protocol.GetTaskReply
	for ctx.Err() == nil {
		reply := next
		next = nil
		if reply == nil {
			var err error
			if reply, err = w.getTask(); err != nil {
				return err
			}
		}
		switch reply.Action {
		case protocol.ActionExit:
			w.s.tally.toldExit.Add(1)
			return nil
		case protocol.ActionWait:
		case protocol.ActionRun:
			w.s.tally.handedOut(reply.Attempt, reply.Backup)
			if w.tasks++; w.dropsNow() {
				w.drop(reply.Attempt)
				return nil
			}
			var err error
			if next, err = w.attempt(ctx, reply); err != nil {
				return err
			}
		default:
			return fmt.Errorf("worker %d: unknown action %v", w.index+1, reply.Action)
		}
	}
	return ctx.Err()
}

// connect dials the worker's connections from its own address: one for
// its calls and one for its heartbeats, or one for both.
func (w *simWorker) connect(ctx context.Context) error {
	src := sourceAddr(w.index)
	var err error
	if w.calls, err = w.s.dialer.dial(ctx, src); err != nil {
		return err
	}
	if w.s.cfg.Conns == 1 {
		w.beats = w.calls
		return nil
	}
	w.beats, err = w.s.dialer.dial(ctx, src)
	return err
}

// close closes the worker's connections.
func (w *simWorker) close() {
	if w.calls != nil {
		w.calls.Close()
	}
	if w.beats != nil && w.beats != w.calls {
		w.beats.Close()
	}
}

// dropsNow reports whether this is the worker to drop, at this task.
func (w *simWorker) dropsNow() bool {
	cfg := &w.s.cfg
	return w.index+1 == cfg.DropWorker && w.tasks == cfg.DropAfter
}

// drop ends this worker without a word, holding attempt a: its attempt
// and the maps it committed must run again elsewhere.
func (w *simWorker) drop(a task.AttemptID) {
	w.s.tally.watch(a)
	for _, c := range w.committed {
		if c.Task.Kind == task.Map {
			w.s.tally.watch(c)
		}
	}
	w.s.progress(fmt.Sprintf("dropping worker %d (id %d) holding %v, after %d committed maps", w.index+1, w.id, a, len(w.committed)))
}

// register registers the worker, with a server address as a TCP worker
// has (nothing serves there: no reduce reads it).
func (w *simWorker) register() error {
	src := sourceAddr(w.index)
	args := protocol.RegisterArgs{Host: simHost, PID: os.Getpid(), Server: fmt.Sprintf("%s:%d", src, simServerPort)}
	var reply protocol.RegisterReply
	if err := w.call(w.calls, protocol.MethodRegister, &args, &reply, 0); err != nil {
		return err
	}
	if reply.Refused != "" {
		return fmt.Errorf("worker %d refused: %s", w.index+1, reply.Refused)
	}
	w.id, w.epoch, w.session, w.seq = reply.Worker, reply.Epoch, reply.Session, 0
	w.interval, w.poll = reply.HeartbeatInterval, reply.PollTimeout
	return nil
}

// simServerPort is the port of the map output server a simulated worker
// claims to have.
const simServerPort = 9

// header returns the header of the worker's next request.
func (w *simWorker) header() protocol.Header {
	w.seq++
	return protocol.Header{Worker: w.id, Epoch: w.epoch, Session: w.session, RequestID: protocol.RequestIDFor(w.id, w.seq)}
}

// call makes one RPC on c, answered within the call timeout plus wait.
func (w *simWorker) call(c *rpc.Client, method string, args, reply any, wait time.Duration) error {
	call := c.Go(method, args, reply, make(chan *rpc.Call, 1))
	timer := time.NewTimer(w.s.cfg.CallTimeout + wait)
	defer timer.Stop()
	select {
	case <-call.Done:
		if call.Error != nil {
			return fmt.Errorf("worker %d: %s: %w", w.index+1, method, call.Error)
		}
		return nil
	case <-timer.C:
		return fmt.Errorf("worker %d: %s: no answer within %v", w.index+1, method, w.s.cfg.CallTimeout+wait)
	}
}

// getTask long-polls for a task. A coordinator that lost this worker has
// it register again, and the answer is to wait.
func (w *simWorker) getTask() (*protocol.GetTaskReply, error) {
	var reply protocol.GetTaskReply
	start := time.Now()
	if err := w.call(w.calls, protocol.MethodGetTask, &protocol.GetTaskArgs{Header: w.header()}, &reply, w.poll); err != nil {
		return nil, err
	}
	if reply.UnknownWorker {
		w.s.tally.relost.Add(1)
		return &protocol.GetTaskReply{Action: protocol.ActionWait}, w.register()
	}
	if reply.Action == protocol.ActionRun {
		w.s.tally.handOut.record(time.Since(start))
	}
	return &reply, nil
}
