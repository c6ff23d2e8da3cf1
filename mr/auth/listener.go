package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

const (
	// maxHandshakes bounds the handshakes a listener runs at once, and
	// the authenticated connections waiting for Accept.
	maxHandshakes = 64
	// maxHandshakesPerHost bounds the handshakes in progress from one
	// peer address, so that one host cannot take every slot. A worker
	// opens at most a few connections at once.
	maxHandshakesPerHost = 8
)

// NewListener returns a listener whose Accept returns only connections
// from l that passed Server's handshake with the secret s and the given
// timeout, framed as Server returns them. Each handshake runs in its own
// goroutine, so a slow or silent peer delays nobody else; at most 64 run
// (or wait for Accept) at once, at most 8 of them from one host, and a
// connection arriving when its host's or all slots are taken is closed at
// once. refused, unless nil, is called with the remote
// address of every connection closed without reaching Accept, and why
// (ErrBusy when it was closed at once); calls may come from several
// goroutines at once, and should return quickly: a refusal for ErrBusy
// holds up accepting. Close closes l, aborts the handshakes in progress,
// closes the connections not yet accepted and waits for its goroutines to
// end; Accept then returns an error wrapping net.ErrClosed.
func NewListener(l net.Listener, s Secret, timeout time.Duration, refused func(remote net.Addr, err error)) net.Listener {
	al := &listener{
		inner:       l,
		timeout:     timeout,
		refused:     refused,
		slots:       make(chan struct{}, maxHandshakes),
		ready:       make(chan net.Conn),
		done:        make(chan struct{}),
		acceptDone:  make(chan struct{}),
		handshaking: make(map[net.Conn]string),
		perHost:     make(map[string]int),
	}
	if !s.IsZero() {
		al.key = s.Key(handshakePurpose)
	}
	al.wg.Add(1)
	go al.acceptLoop()
	return al
}

// listener is NewListener's listener.
type listener struct {
	inner   net.Listener
	key     []byte
	timeout time.Duration
	refused func(net.Addr, error)
	// slots holds a token for each handshake goroutine.
	slots chan struct{}
	// ready hands authenticated connections to Accept.
	ready chan net.Conn
	// done is closed by Close.
	done chan struct{}
	// acceptDone is closed when the accept loop stops, after setting
	// acceptErr to the error that stopped it.
	acceptDone chan struct{}
	acceptErr  error
	// wg counts the accept loop and the handshake goroutines.
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	// mu guards closed, handshaking (the raw connections of the
	// handshakes in progress, with their peers' hosts) and perHost (how
	// many of them each host has).
	mu          sync.Mutex
	closed      bool
	handshaking map[net.Conn]string
	perHost     map[string]int
}

// acceptLoop accepts raw connections and starts their handshakes, until
// the inner listener fails.
func (l *listener) acceptLoop() {
	defer l.wg.Done()
	defer close(l.acceptDone)
	for {
		raw, err := l.inner.Accept()
		if err != nil {
			l.acceptErr = err
			return
		}
		select {
		case l.slots <- struct{}{}:
		default:
			raw.Close()
			l.report(raw.RemoteAddr(), fmt.Errorf("auth: %w (%d)", ErrBusy, maxHandshakes))
			continue
		}
		if err := l.track(raw); err != nil {
			raw.Close()
			<-l.slots
			if !errors.Is(err, net.ErrClosed) {
				l.report(raw.RemoteAddr(), err)
			}
			continue
		}
		l.wg.Add(1)
		go l.handshake(raw)
	}
}

// handshake authenticates raw and hands the result to Accept.
func (l *listener) handshake(raw net.Conn) {
	defer l.wg.Done()
	defer func() { <-l.slots }()
	remote := raw.RemoteAddr()
	var c net.Conn
	var err error
	if l.key == nil {
		raw.Close()
		err = fmt.Errorf("auth handshake with %s: %w", remote, ErrNoSecret)
	} else {
		c, err = server(raw, l.key, l.timeout, rand.Reader)
	}
	if !l.untrack(raw) {
		// Close aborted the handshake; its error says nothing of the peer.
		if c != nil {
			c.Close()
		}
		return
	}
	if err != nil {
		l.report(remote, err)
		return
	}
	select {
	case l.ready <- c:
	case <-l.done:
		c.Close()
	}
}

// track records raw as in handshake. It fails with net.ErrClosed if the
// listener is closed, and ErrBusy if raw's host has all its slots.
func (l *listener) track(raw net.Conn) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return net.ErrClosed
	}
	host := peerHost(raw.RemoteAddr())
	if l.perHost[host] >= maxHandshakesPerHost {
		return fmt.Errorf("auth: %w (%d from %s)", ErrBusy, maxHandshakesPerHost, host)
	}
	l.handshaking[raw] = host
	l.perHost[host]++
	return nil
}

// untrack records the end of raw's handshake; it returns false if the
// listener is closed.
func (l *listener) untrack(raw net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if host, ok := l.handshaking[raw]; ok {
		delete(l.handshaking, raw)
		if l.perHost[host]--; l.perHost[host] == 0 {
			delete(l.perHost, host)
		}
	}
	return !l.closed
}

// peerHost returns the host part of a peer's address: the connections of
// one machine share it, whatever their ports.
func peerHost(a net.Addr) string {
	if host, _, err := net.SplitHostPort(a.String()); err == nil {
		return host
	}
	return a.String()
}

// report passes a refused connection to the refused function.
func (l *listener) report(remote net.Addr, err error) {
	if l.refused != nil {
		l.refused(remote, err)
	}
}

// Accept waits for and returns the next authenticated connection.
func (l *listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ready:
		return c, nil
	case <-l.done:
		return nil, l.closedErr()
	case <-l.acceptDone:
		select {
		case <-l.done:
			return nil, l.closedErr()
		default:
			return nil, l.acceptErr
		}
	}
}

// closedErr is what Accept returns after Close, as a net listener does.
func (l *listener) closedErr() error {
	addr := l.inner.Addr()
	return &net.OpError{Op: "accept", Net: addr.Network(), Addr: addr, Err: net.ErrClosed}
}

// Close closes the listener; see NewListener.
func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		l.mu.Lock()
		l.closed = true
		for raw := range l.handshaking {
			raw.Close()
		}
		l.mu.Unlock()
		close(l.done)
		l.closeErr = l.inner.Close()
		l.wg.Wait()
	})
	return l.closeErr
}

// Addr returns the inner listener's address.
func (l *listener) Addr() net.Addr { return l.inner.Addr() }
