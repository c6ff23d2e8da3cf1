package worker

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// errRevoked cancels an attempt the coordinator revoked.
var errRevoked = errors.New("attempt revoked by the coordinator")

// errLeaseLost cancels an attempt whose lease must have run out because no
// heartbeat got through for that long.
var errLeaseLost = errors.New("no heartbeat got through for a whole lease")

// leaseClock tracks when an attempt's lease was last renewed, on the
// monotonic clock, so that an attempt can tell it may have been revoked
// even when the heartbeat goroutine has not run yet (the process was
// stopped, say).
type leaseClock struct {
	start time.Time
	lease time.Duration
	// renewed is the time from start to the last renewal.
	renewed atomic.Int64
}

func newLeaseClock(lease time.Duration) *leaseClock {
	return &leaseClock{start: time.Now(), lease: lease}
}

func (l *leaseClock) renew() { l.renewed.Store(int64(time.Since(l.start))) }

// lastRenewal returns when the lease was last renewed (or began).
func (l *leaseClock) lastRenewal() time.Time {
	return l.start.Add(time.Duration(l.renewed.Load()))
}

// held reports whether the lease can still be in force.
func (l *leaseClock) held() bool {
	return l.lease <= 0 || time.Since(l.start)-time.Duration(l.renewed.Load()) < l.lease
}

// startHeartbeat starts the attempt's heartbeat one interval after the
// attempt began, and returns the function that stops it and waits for it
// to end. An attempt that ends sooner (a tiny task, in a fraction of a
// millisecond) never starts a goroutine for it: on a busy machine each
// goroutine handed work wakes a thread.
func (w *Worker) startHeartbeat(ctx context.Context, cancel context.CancelCauseFunc, id task.AttemptID, clock *leaseClock, status *attemptStatus) (stop func()) {
	if w.heartbeatInterval <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	timer := time.AfterFunc(w.heartbeatInterval, func() {
		defer close(done)
		w.heartbeat(ctx, cancel, id, clock, status)
	})
	return func() {
		cancel(nil)
		if !timer.Stop() {
			<-done
		}
	}
}

// heartbeat renews the attempt's lease every interval until ctx ends. It
// cancels the attempt when the coordinator says it was revoked, does not
// know this worker (it restarted), or could not be told for a whole lease.
// It uses the worker's heartbeat connection, kept for the worker's
// lifetime and dialed again only when it breaks, so that it never waits
// behind the worker's other calls nor, while it holds, for a handshake
// slot at the coordinator; each call's deadline is at most a lease. One
// attempt runs at a time, so one heartbeat goroutine uses it at a time.
func (w *Worker) heartbeat(ctx context.Context, cancel context.CancelCauseFunc, id task.AttemptID, clock *leaseClock, status *attemptStatus) {
	if w.heartbeatInterval <= 0 {
		return
	}
	// A failed call is retried at the next tick, not inside the call.
	calls := w.beats
	calls.timeout = min(w.cfg.CallTimeout, max(w.lease, w.heartbeatInterval))
	ticker := time.NewTicker(w.heartbeatInterval)
	defer ticker.Stop()
	for first := true; ; first = false {
		// The first beat is due at once: startHeartbeat runs this an
		// interval after the attempt began.
		if !first {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
		args := protocol.HeartbeatArgs{Header: w.header(), Attempt: id, Status: status.get()}
		var reply protocol.HeartbeatReply
		err := calls.call(ctx, protocol.MethodHeartbeat, &args, &reply)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && (reply.UnknownWorker || reply.Revoked):
			cancel(errRevoked)
			return
		case err == nil:
			clock.renew()
		case !clock.held():
			w.log.Warn("abandoning attempt: lease lost", "attempt", id, "req", args.RequestID, "err", err)
			cancel(errLeaseLost)
			return
		default:
			w.log.Warn("heartbeat failed", "attempt", id, "req", args.RequestID, "err", err)
		}
	}
}
