package worker

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"6.5840/mr/transport"
	"github.com/stretchr/testify/require"
)

func TestCallsToASilentCoordinatorTimeOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A coordinator that reads requests but never answers: frozen, or
		// the far end of a half-open connection.
		dial := func() (net.Conn, error) {
			client, server := net.Pipe()
			go io.Copy(io.Discard, server)
			return client, nil
		}
		cfg := DefaultConfig()
		cfg.App, cfg.Dir, cfg.Dial = letters, t.TempDir(), dial
		w, err := New(cfg)
		require.NoError(t, err)
		start := time.Now()
		err = w.Run(context.Background())
		require.ErrorIs(t, err, ErrCoordinatorUnreachable)
		require.ErrorContains(t, err, "no answer")
		require.False(t, w.registered)
		// One call to its deadline, then retries for the window, the last
		// of which may run to its own deadline.
		require.LessOrEqual(t, time.Since(start), 2*DefaultCallTimeout+DefaultRetryWindow+maxBackoff)
	})
}

func TestLeaseClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clock := newLeaseClock(2 * time.Second)
		require.True(t, clock.held())
		time.Sleep(1500 * time.Millisecond)
		clock.renew()
		time.Sleep(1500 * time.Millisecond)
		require.True(t, clock.held(), "renewed 1.5 s ago")
		time.Sleep(500 * time.Millisecond)
		require.False(t, clock.held(), "not renewed for a whole lease")
		require.True(t, newLeaseClock(0).held(), "no lease, nothing to lose")
	})
}

// TestACoordinatorOfAnotherUserIsNotRetried: a worker that finds its
// coordinator runs as another user gives up at once, after one dial.
func TestACoordinatorOfAnotherUserIsNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dials := 0
		dial := func() (net.Conn, error) {
			dials++
			return nil, fmt.Errorf("the coordinator at /x/mr.sock: process 1 runs as uid 65534: %w", transport.ErrOtherUser)
		}
		cfg := DefaultConfig()
		cfg.App, cfg.Dir, cfg.Dial = letters, t.TempDir(), dial
		w, err := New(cfg)
		require.NoError(t, err)
		start := time.Now()
		err = w.Run(context.Background())
		require.ErrorIs(t, err, transport.ErrOtherUser)
		require.NotErrorIs(t, err, ErrCoordinatorUnreachable)
		require.Equal(t, 1, dials)
		require.Zero(t, time.Since(start), "the worker waited before giving up")
	})
}
