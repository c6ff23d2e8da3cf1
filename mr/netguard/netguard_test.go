package netguard

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeListener returns the errors in errs, one per Accept, then conns;
// then it blocks until closed.
type fakeListener struct {
	mu    sync.Mutex
	errs  []error
	conns []net.Conn
	// calls counts Accepts.
	calls  int
	closed chan struct{}
	once   sync.Once
}

func newFakeListener(errs []error, conns ...net.Conn) *fakeListener {
	return &fakeListener{errs: errs, conns: conns, closed: make(chan struct{})}
}

func (l *fakeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	l.calls++
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		l.mu.Unlock()
		return nil, err
	}
	if len(l.conns) > 0 {
		c := l.conns[0]
		l.conns = l.conns[1:]
		l.mu.Unlock()
		return c, nil
	}
	l.mu.Unlock()
	<-l.closed
	return nil, &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}
}

func (l *fakeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

func TestAcceptRetryOutlastsTemporaryErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		errs := []error{acceptErr(syscall.EMFILE), acceptErr(syscall.ENFILE), acceptErr(syscall.ECONNABORTED)}
		for range 10 {
			errs = append(errs, acceptErr(syscall.EMFILE))
		}
		l := newFakeListener(errs, a)
		start := time.Now()
		conn, err := AcceptRetry(l, nil, nil)
		require.NoError(t, err)
		require.Equal(t, a, conn)
		require.Equal(t, len(errs)+1, l.calls)
		// 5+10+...+640 ms, then 1 s for each of the rest.
		waited := time.Since(start)
		require.Equal(t, 1275*time.Millisecond+5*MaxAcceptBackoff, waited)
	})
}

func TestAcceptRetryReturnsOtherErrors(t *testing.T) {
	bad := errors.New("listener broken")
	for _, err := range []error{bad, &net.OpError{Op: "accept", Net: "tcp", Err: net.ErrClosed}} {
		l := newFakeListener([]error{err})
		_, got := AcceptRetry(l, nil, nil)
		require.ErrorIs(t, got, err)
		require.Equal(t, 1, l.calls)
	}
}

func TestRetryListenerCloseEndsTheWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var errs []error
		for range 100 {
			errs = append(errs, acceptErr(syscall.EMFILE))
		}
		l := RetryListener(newFakeListener(errs), slog.New(slog.DiscardHandler))
		done := make(chan error)
		go func() {
			_, err := l.Accept()
			done <- err
		}()
		time.Sleep(MaxAcceptBackoff)
		synctest.Wait()
		l.Close()
		require.ErrorIs(t, <-done, net.ErrClosed)
	})
}

func TestTemporary(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{acceptErr(syscall.EMFILE), true},
		{acceptErr(syscall.ENFILE), true},
		{acceptErr(syscall.ECONNABORTED), true},
		{acceptErr(syscall.EINVAL), false},
		{&net.OpError{Op: "accept", Err: net.ErrClosed}, false},
		{errors.New("other"), false},
		{nil, false},
	} {
		require.Equal(t, tc.want, Temporary(tc.err), "%v", tc.err)
	}
}

func TestLimitListenerCapsOpenConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var conns []net.Conn
		for range 3 {
			a, b := net.Pipe()
			defer b.Close()
			conns = append(conns, a)
		}
		l := LimitListener(newFakeListener(nil, conns...), 2)
		defer l.Close()
		c1, err := l.Accept()
		require.NoError(t, err)
		_, err = l.Accept()
		require.NoError(t, err)
		got := make(chan net.Conn)
		go func() {
			c, _ := l.Accept()
			got <- c
		}()
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("a third connection was accepted past a cap of 2")
		default:
		}
		c1.Close()
		c1.Close() // a second close gives back nothing more
		c3 := <-got
		require.NotNil(t, c3)
	})
}

func TestIdleCapClosesTheOldestQuietConnections(t *testing.T) {
	const max, total = 8, 300
	var evicted []net.Addr
	c := NewIdleCap(max, func(a net.Addr) { evicted = append(evicted, a) })
	conns := make([]net.Conn, total)
	for i := range conns {
		a, b := net.Pipe()
		defer b.Close()
		conns[i] = a
		c.ConnState(a, http.StateNew)
	}
	require.Equal(t, max, c.Quiet())
	require.Len(t, evicted, total-max)
	for i, conn := range conns {
		// A write to an open pipe would block: check the closed ones.
		if i < total-max {
			_, err := conn.Write([]byte("x"))
			require.ErrorIs(t, err, io.ErrClosedPipe, "connection %d", i)
		}
	}
	// A connection serving a request is never closed for the cap.
	c.ConnState(conns[total-1], http.StateActive)
	require.Equal(t, max-1, c.Quiet())
	c.ConnState(conns[total-1], http.StateClosed)
	require.Equal(t, max-1, c.Quiet())
}

func TestRateLogCountsWhatItDrops(t *testing.T) {
	var buf bytes.Buffer
	r := NewRateLog(slog.New(slog.NewTextHandler(&buf, nil)), time.Second)
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	for range 50 {
		r.Warn("connection refused", "peer", "10.0.0.1:1")
	}
	now = now.Add(time.Second)
	r.Warn("connection refused", "peer", "10.0.0.2:1")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, LogBurst+1)
	for _, line := range lines[:LogBurst] {
		require.NotContains(t, line, "dropped")
	}
	require.Contains(t, lines[LogBurst], "dropped=45")
}
