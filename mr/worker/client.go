package worker

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/rpc"
	"syscall"
	"time"

	"6.5840/mr/transport"
)

// Backoff bounds between attempts to reach the coordinator.
const (
	initialBackoff = 10 * time.Millisecond
	maxBackoff     = time.Second
)

// minRetryDeadline is the least time a retry within the window is given,
// however little of the window is left.
const minRetryDeadline = 500 * time.Millisecond

// ErrCoordinatorUnreachable means the coordinator could not be reached for
// the whole retry window.
var ErrCoordinatorUnreachable = errors.New("coordinator unreachable")

// ErrCoordinatorGone is returned (wrapped, with ErrCoordinatorUnreachable)
// when, at the end of the retry window, the coordinator's address answered
// that nothing serves there: its process ended, most likely with the job.
// Without it the coordinator did not answer at all, as when a link is down.
var ErrCoordinatorGone = errors.New("nothing serves at the coordinator's address")

// errCallTimeout is a call that got no answer within its deadline.
var errCallTimeout = errors.New("no answer")

// client calls the coordinator, reconnecting with backoff when the
// connection breaks, for at most a retry window. Every call has a
// deadline. It is used by one goroutine at a time: the worker loop and the
// heartbeat goroutine each have their own.
type client struct {
	dial   func(ctx context.Context) (net.Conn, error)
	window time.Duration
	// timeout bounds each call; calls that long-poll add their wait.
	timeout time.Duration
	addr    string
	rpc     *rpc.Client
	// keepOnCancel leaves the connection open when ctx cuts a call
	// short: the answer, when it comes, is read and dropped. Without it
	// the connection is closed, so that nothing writes to the reply.
	keepOnCancel bool
	// silentSince, if set, is when the coordinator was last heard from
	// before it went silent: the retry window of the next call counts
	// from there, not from that call's first failure.
	silentSince time.Time
}

// silent records that the coordinator has not been heard from since t.
func (c *client) silent(since time.Time) { c.silentSince = since }

// call makes one RPC that the coordinator answers at once. See callWait.
func (c *client) call(ctx context.Context, method string, args, reply any) error {
	return c.callWait(ctx, method, 0, args, reply)
}

// callWait makes one RPC that the coordinator may hold for up to wait
// before answering. Errors returned by the coordinator's handler come back
// as rpc.ServerError without retrying; transport errors and calls without
// an answer by their deadline are retried until the window passes.
func (c *client) callWait(ctx context.Context, method string, wait time.Duration, args, reply any) error {
	var giveUp time.Time
	if !c.silentSince.IsZero() {
		giveUp = c.silentSince.Add(c.window)
	}
	backoff := initialBackoff
	for {
		deadline := c.timeout + wait
		if !giveUp.IsZero() {
			// A retry ends with the window, so a dead coordinator is given
			// up on when the window says, not a whole deadline later.
			deadline = min(deadline, max(time.Until(giveUp), minRetryDeadline))
		}
		dialed := c.rpc == nil
		err := c.tryCall(ctx, method, deadline, args, reply)
		var serverErr rpc.ServerError
		if err == nil || errors.As(err, &serverErr) {
			c.silentSince = time.Time{}
		}
		if err == nil || errors.As(err, &serverErr) || ctx.Err() != nil ||
			errors.Is(err, transport.ErrAuth) || errors.Is(err, transport.ErrTLS) || errors.Is(err, transport.ErrNeedSecret) ||
			errors.Is(err, transport.ErrOtherUser) {
			return err
		}
		now := time.Now()
		if giveUp.IsZero() {
			giveUp = now.Add(c.window)
		}
		if !dialed {
			// A connection that broke says nothing of the coordinator now:
			// dial again at once before judging.
			continue
		}
		if !now.Before(giveUp) {
			if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
				err = fmt.Errorf("%w: %w", ErrCoordinatorGone, err)
			}
			return fmt.Errorf("%w: no answer from %s for %v: %w", ErrCoordinatorUnreachable, c.addr, c.window, err)
		}
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// tryCall makes one RPC on the current connection, dialing one if needed,
// all within deadline. A call without an answer by then closes the
// connection.
func (c *client) tryCall(ctx context.Context, method string, deadline time.Duration, args, reply any) error {
	start := time.Now()
	if c.rpc == nil {
		dialCtx, cancel := context.WithTimeout(ctx, min(c.timeout, deadline))
		conn, err := c.dial(dialCtx)
		cancel()
		if err != nil {
			return err
		}
		c.rpc = rpc.NewClient(conn)
	}
	call := c.rpc.Go(method, args, reply, make(chan *rpc.Call, 1))
	timer := time.NewTimer(deadline - time.Since(start))
	defer timer.Stop()
	var err error
	answered := false
	select {
	case <-call.Done:
		err, answered = call.Error, true
	case <-timer.C:
		err = fmt.Errorf("%s: %w within %v", method, errCallTimeout, deadline)
	case <-ctx.Done():
		err = ctx.Err()
	}
	var serverErr rpc.ServerError
	if !answered && c.keepOnCancel && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		// The caller never reads reply: the answer may land there.
		return err
	}
	if err != nil && !errors.As(err, &serverErr) {
		// Closing the connection ends the call; wait for that so that
		// nothing writes to reply after we return.
		c.rpc.Close()
		if !answered {
			<-call.Done
		}
		c.rpc = nil
	}
	return err
}

func (c *client) close() {
	if c.rpc != nil {
		c.rpc.Close()
		c.rpc = nil
	}
}
