package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"time"
)

// Backoff bounds between attempts to reach the coordinator.
const (
	initialBackoff = 50 * time.Millisecond
	maxBackoff     = time.Second
)

// ErrCoordinatorUnreachable means the coordinator could not be reached for
// the whole retry window.
var ErrCoordinatorUnreachable = errors.New("coordinator unreachable")

// client calls the coordinator, reconnecting with backoff when the
// connection breaks, for at most a retry window. It is used by one
// goroutine at a time per method set: the worker loop and the heartbeat
// goroutine each have their own.
type client struct {
	dial   func() (net.Conn, error)
	window time.Duration
	addr   string
	rpc    *rpc.Client
}

// call makes one RPC. Errors returned by the coordinator's handler come
// back as rpc.ServerError without retrying; transport errors are retried
// until the window passes.
func (c *client) call(ctx context.Context, method string, args, reply any) error {
	var giveUp time.Time
	backoff := initialBackoff
	for {
		err := c.tryCall(method, args, reply)
		var serverErr rpc.ServerError
		if err == nil || errors.As(err, &serverErr) {
			return err
		}
		now := time.Now()
		if giveUp.IsZero() {
			giveUp = now.Add(c.window)
		}
		if !now.Before(giveUp) {
			return fmt.Errorf("%w: no answer from %s for %v: %v", ErrCoordinatorUnreachable, c.addr, c.window, err)
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

func (c *client) tryCall(method string, args, reply any) error {
	if c.rpc == nil {
		conn, err := c.dial()
		if err != nil {
			return err
		}
		c.rpc = rpc.NewClient(conn)
	}
	err := c.rpc.Call(method, args, reply)
	var serverErr rpc.ServerError
	if err != nil && !errors.As(err, &serverErr) {
		c.rpc.Close()
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
