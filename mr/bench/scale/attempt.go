package scale

import (
	"context"
	"time"

	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// errYielded is the error of a report of a reduce attempt that gave way
// so that the map outputs it waits for can run again.
const errYielded = "yielded: waiting for lost map outputs"

// attempt runs one handed-out attempt, heartbeating from its start to
// its report as a worker does: a reduce's map locations are gathered and
// checked first, then the attempt "runs" for the task time, and reports.
// It returns the next task if the report's reply brought one.
func (w *simWorker) attempt(ctx context.Context, reply *protocol.GetTaskReply) (*protocol.GetTaskReply, error) {
	a := reply.Attempt
	beats := w.startHeartbeats(ctx, a)
	var ready reduceReadiness
	if a.Task.Kind == task.Reduce {
		var err error
		if ready, err = w.prepareReduce(reply); err != nil {
			beats.stop()
			return nil, err
		}
	}
	if ready != reduceLost && ready != reduceYield {
		timer := time.NewTimer(w.s.cfg.TaskTime)
		select {
		case <-ctx.Done():
		case <-beats.ended:
		case <-timer.C:
		}
		timer.Stop()
	}
	held, err := beats.stop()
	switch {
	case err != nil:
		return nil, err
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case !held || ready == reduceLost:
		return nil, nil
	case ready == reduceYield:
		return w.report(a, protocol.ReportArgs{Yielded: true, Error: errYielded})
	}
	return w.report(a, protocol.ReportArgs{})
}

// heartbeats renew an attempt's lease in the background.
type heartbeats struct {
	// ended is closed when the heartbeats end on their own: the attempt
	// was revoked, or a call failed.
	ended chan struct{}
	quit  chan struct{}
	// held and err are the outcome, set before ended or done is closed.
	held bool
	err  error
	done chan struct{}
}

// startHeartbeats heartbeats attempt a at the interval Register gave
// until stopped.
func (w *simWorker) startHeartbeats(ctx context.Context, a task.AttemptID) *heartbeats {
	h := &heartbeats{ended: make(chan struct{}), quit: make(chan struct{}), held: true, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		ticker := time.NewTicker(w.interval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-h.quit:
				return
			case <-ticker.C:
			}
			if h.held, h.err = w.heartbeat(a); h.err != nil || !h.held {
				close(h.ended)
				return
			}
		}
	}()
	return h
}

// stop ends the heartbeats and reports whether the attempt still stands.
func (h *heartbeats) stop() (bool, error) {
	close(h.quit)
	<-h.done
	return h.held, h.err
}

// heartbeat renews attempt a's lease and reports whether it still stands.
func (w *simWorker) heartbeat(a task.AttemptID) (bool, error) {
	var reply protocol.HeartbeatReply
	start := time.Now()
	if err := w.call(w.beats, protocol.MethodHeartbeat, &protocol.HeartbeatArgs{Header: w.header(), Attempt: a}, &reply, 0); err != nil {
		return false, err
	}
	w.s.tally.beat.record(time.Since(start))
	if reply.UnknownWorker || reply.Revoked {
		return false, w.lost(a, reply.UnknownWorker)
	}
	return true, nil
}

// lost records that attempt a was revoked although this worker is alive;
// if the coordinator no longer knows the worker, it registers again.
func (w *simWorker) lost(a task.AttemptID, unknown bool) error {
	w.s.tally.lostAttempt(a)
	if !unknown {
		return nil
	}
	w.s.tally.relost.Add(1)
	return w.register()
}

// report ends attempt a with args, asking for the next task.
func (w *simWorker) report(a task.AttemptID, args protocol.ReportArgs) (*protocol.GetTaskReply, error) {
	args.Header, args.Attempt, args.WantTask = w.header(), a, true
	var reply protocol.ReportReply
	start := time.Now()
	if err := w.call(w.calls, protocol.MethodReport, &args, &reply, 0); err != nil {
		return nil, err
	}
	w.s.tally.handOut.record(time.Since(start))
	switch {
	case reply.UnknownWorker:
		return nil, w.lost(a, true)
	case reply.Verdict == protocol.VerdictCommitted:
		w.s.tally.committed.Add(1)
		if w.index+1 == w.s.cfg.DropWorker {
			w.committed = append(w.committed, a)
		}
	case args.Yielded && reply.Verdict == protocol.VerdictReleased:
	default:
		w.s.tally.lostAttempt(a)
	}
	return reply.Next, nil
}
