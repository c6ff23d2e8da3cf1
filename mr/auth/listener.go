package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"6.5840/mr/netguard"
)

const (
	// maxHandshakes bounds the handshakes a listener runs at once, and
	// the authenticated connections waiting for Accept.
	maxHandshakes = 64
	// maxHandshakesPerHost bounds the handshakes in progress from one
	// peer address, so that one host cannot take every slot. A worker
	// opens at most a few connections at once.
	maxHandshakesPerHost = 8
	// quietTimeout is how long a listener waits for a client to start its
	// proof once the hello is sent (with TLS, for the TLS handshake too):
	// a client answers within a round trip, and a peer that says nothing
	// gives its slot back soon even when nobody else wants it.
	quietTimeout = 2 * time.Second
)

// NewListener returns a listener whose Accept returns only connections
// from l that passed Server's handshake with the secret s and the given
// timeout, framed as Server returns them. Each handshake runs in its own
// goroutine, so a slow or silent peer delays nobody else; a peer that has
// not started its proof 2 s after the hello is dropped. At most 64
// handshakes run (or wait for Accept) at once, at most 8 of them from one
// host: a connection arriving when its host's or all slots are taken
// closes the oldest handshake in progress there to make room. So
// strangers that connect and say nothing hold a slot only until someone
// else wants it, and cannot lock out a peer that authenticates; only a
// flood that opens a slot's worth of connections (8 from the peer's own
// host, or 64) while one handshake runs, a few round trips, can. A
// connection is closed at once only when every slot holds an
// authenticated connection waiting for Accept.
// An Accept of l that fails for a temporary reason (too many open files)
// is retried after a backoff. refused, unless nil, is called with the
// remote address of every connection closed without reaching Accept, and
// why (ErrBusy when it was closed for the limits); calls may come from
// several goroutines at once, and should return quickly: a refusal for
// ErrBusy holds up accepting. Close closes l, aborts the handshakes in
// progress, closes the connections not yet accepted and waits for its
// goroutines to end; Accept then returns an error wrapping net.ErrClosed.
func NewListener(l net.Listener, s Secret, timeout time.Duration, refused func(remote net.Addr, err error)) net.Listener {
	al := &listener{
		inner:       l,
		timeout:     timeout,
		refused:     refused,
		ready:       make(chan net.Conn),
		done:        make(chan struct{}),
		acceptDone:  make(chan struct{}),
		handshaking: make(map[net.Conn]pending),
		perHost:     make(map[string]int),
	}
	if !s.IsZero() {
		al.key = s.Key(PurposeHandshake)
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
	// handshakes in progress), perHost (how many of them each host has),
	// held (those plus the authenticated connections waiting for Accept)
	// and seq (the order of arrival).
	mu          sync.Mutex
	closed      bool
	handshaking map[net.Conn]pending
	perHost     map[string]int
	held        int
	seq         uint64
}

// pending is a handshake in progress: its peer's host, and its place in
// the order of arrival.
type pending struct {
	host string
	seq  uint64
}

// acceptLoop accepts raw connections and starts their handshakes, until
// the inner listener fails for good.
func (l *listener) acceptLoop() {
	defer l.wg.Done()
	defer close(l.acceptDone)
	for {
		raw, err := netguard.AcceptRetry(l.inner, l.done, nil)
		if err != nil {
			l.acceptErr = err
			return
		}
		evicted, err := l.track(raw)
		for _, e := range evicted {
			e.Close()
			l.report(e.RemoteAddr(), fmt.Errorf("auth: closed for a newer connection: %w", ErrBusy))
		}
		if err != nil {
			raw.Close()
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
	remote := raw.RemoteAddr()
	var c net.Conn
	var err error
	if l.key == nil {
		raw.Close()
		err = fmt.Errorf("auth handshake with %s: %w", remote, ErrNoSecret)
	} else {
		h := &handshake{conn: raw, k: l.key, quiet: quietTimeout}
		c, err = h.run(l.timeout, false, rand.Reader)
	}
	if !l.untrack(raw, err == nil) {
		// Close aborted the handshake, or a newer connection took its
		// slot; its error says nothing more of the peer.
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
		// Accept gave back the slot before it returned.
	case <-l.done:
		l.release()
		c.Close()
	}
}

// track records raw as in handshake, first evicting (returning) the
// handshakes to close to make room for it. It fails with net.ErrClosed if
// the listener is closed, and ErrBusy if every slot holds a connection
// waiting for Accept.
func (l *listener) track(raw net.Conn) (evicted []net.Conn, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, net.ErrClosed
	}
	host := peerHost(raw.RemoteAddr())
	if l.perHost[host] >= maxHandshakesPerHost {
		victim := l.oldestLocked(host)
		l.forgetLocked(victim)
		l.held--
		evicted = append(evicted, victim)
	}
	if l.held >= maxHandshakes {
		victim := l.oldestLocked("")
		if victim == nil {
			return evicted, fmt.Errorf("auth: %w (%d)", ErrBusy, maxHandshakes)
		}
		l.forgetLocked(victim)
		l.held--
		evicted = append(evicted, victim)
	}
	l.seq++
	l.handshaking[raw] = pending{host: host, seq: l.seq}
	l.perHost[host]++
	l.held++
	return evicted, nil
}

// oldestLocked returns the oldest handshake in progress from host (any
// host if ""), or nil if there is none. The map holds at most
// maxHandshakes entries, so a scan is cheap.
func (l *listener) oldestLocked(host string) net.Conn {
	var oldest net.Conn
	var first pending
	for raw, p := range l.handshaking {
		if (host == "" || p.host == host) && (oldest == nil || p.seq < first.seq) {
			oldest, first = raw, p
		}
	}
	return oldest
}

// forgetLocked removes raw from the handshakes in progress; it reports
// whether raw was one.
func (l *listener) forgetLocked(raw net.Conn) bool {
	p, ok := l.handshaking[raw]
	if !ok {
		return false
	}
	delete(l.handshaking, raw)
	if l.perHost[p.host]--; l.perHost[p.host] == 0 {
		delete(l.perHost, p.host)
	}
	return true
}

// untrack records the end of raw's handshake. It returns false if the
// listener is closed or raw was evicted: its slot is already given back.
// Otherwise a failed handshake gives back its slot, and an authenticated
// one keeps it until release.
func (l *listener) untrack(raw net.Conn, authenticated bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.forgetLocked(raw) {
		return false
	}
	if !authenticated {
		l.held--
	}
	return !l.closed
}

// release gives back the slot of an authenticated connection that Accept
// took, or that was closed instead.
func (l *listener) release() {
	l.mu.Lock()
	l.held--
	l.mu.Unlock()
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
		// The slot is free once Accept returns, so that a caller who
		// accepted one connection may count on room for the next.
		l.release()
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
