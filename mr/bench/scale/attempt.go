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

// attempt runs one handed-out attempt: a reduce's map locations are
// checked first, then the attempt "runs" for the task time while it
// heartbeats, and reports. It returns the next task if the report's
// reply brought one.
func (w *simWorker) attempt(ctx context.Context, reply *protocol.GetTaskReply) (*protocol.GetTaskReply, error) {
	a := reply.Attempt
	if a.Task.Kind == task.Reduce {
		ready, err := w.prepareReduce(reply)
		switch {
		case err != nil:
			return nil, err
		case ready == reduceYield:
			return w.report(a, protocol.ReportArgs{Yielded: true, Error: errYielded})
		case ready == reduceLost:
			return nil, nil
		}
	}
	held, err := w.hold(ctx, a)
	if err != nil || !held {
		return nil, err
	}
	return w.report(a, protocol.ReportArgs{})
}

// hold waits out the task time, heartbeating at the interval, and
// reports whether the attempt still stands.
func (w *simWorker) hold(ctx context.Context, a task.AttemptID) (bool, error) {
	end := time.Now().Add(w.s.cfg.TaskTime)
	for {
		left := time.Until(end)
		if left <= 0 {
			return true, nil
		}
		timer := time.NewTimer(min(left, w.interval))
		select {
		case <-ctx.Done():
			timer.Stop()
			return false, ctx.Err()
		case <-timer.C:
		}
		if left <= w.interval {
			return true, nil
		}
		if held, err := w.heartbeat(a); err != nil || !held {
			return false, err
		}
	}
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
