package netguard

import (
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// Bounds of the wait before retrying a failed Accept: the first wait,
// doubled after each failure in a row up to the longest, as in net/http.
const (
	MinAcceptBackoff = 5 * time.Millisecond
	MaxAcceptBackoff = time.Second
)

// Temporary reports whether err, returned by a listener's Accept, may go
// away by itself: the process or the system ran out of file descriptors
// or memory for a moment, or a connection was aborted before it was
// accepted. A closed listener's error is not temporary.
func Temporary(err error) bool {
	if err == nil || errors.Is(err, net.ErrClosed) {
		return false
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.EMFILE, syscall.ENFILE, syscall.ECONNABORTED, syscall.ECONNRESET,
			syscall.ENOBUFS, syscall.ENOMEM, syscall.EAGAIN, syscall.EINTR, syscall.EPROTO:
			return true
		}
	}
	var temp interface{ Temporary() bool }
	var timeout interface{ Timeout() bool }
	return errors.As(err, &temp) && temp.Temporary() || errors.As(err, &timeout) && timeout.Timeout()
}

// AcceptRetry accepts a connection from l. An error for which Temporary
// holds is logged and retried after a wait that starts at
// MinAcceptBackoff and doubles up to MaxAcceptBackoff; any other error is
// returned, as is net.ErrClosed (wrapped) once done is closed.
func AcceptRetry(l net.Listener, done <-chan struct{}, log *slog.Logger) (net.Conn, error) {
	var delay time.Duration
	for {
		conn, err := l.Accept()
		if err == nil || !Temporary(err) {
			return conn, err
		}
		if delay == 0 {
			delay = MinAcceptBackoff
		} else {
			delay = min(2*delay, MaxAcceptBackoff)
		}
		if log != nil {
			log.Warn("accept failed; retrying", "err", err, "in", delay)
		}
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-done:
			timer.Stop()
			return nil, &net.OpError{Op: "accept", Net: l.Addr().Network(), Addr: l.Addr(), Err: net.ErrClosed}
		}
	}
}

// RetryListener returns l with an Accept that retries temporary errors
// (see AcceptRetry), logging them with log (nil logs nothing). Closing it
// closes l and ends a wait at once.
func RetryListener(l net.Listener, log *slog.Logger) net.Listener {
	return &retryListener{Listener: l, log: log, done: make(chan struct{})}
}

// retryListener is RetryListener's listener.
type retryListener struct {
	net.Listener
	log *slog.Logger
	// done is closed by Close.
	done chan struct{}
	once sync.Once
}

// Accept implements net.Listener.
func (l *retryListener) Accept() (net.Conn, error) {
	return AcceptRetry(l.Listener, l.done, l.log)
}

// Close implements net.Listener.
func (l *retryListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}
