package netguard

import (
	"net"
	"net/http"
	"sync"
)

// IdleCap bounds the connections of an http.Server that are not serving
// a request: new ones that have not sent a whole request yet, and
// kept-alive ones waiting for their next. When one more would pass the
// cap, the oldest of them is closed, so that peers that connect and say
// nothing hold a connection only until others come. Set ConnState as the
// server's ConnState.
type IdleCap struct {
	max int
	// evicted, unless nil, is called with the peer of each connection
	// closed for the cap.
	evicted func(remote net.Addr)

	// mu guards seq and quiet (the connections not serving a request,
	// with the order in which they became so).
	mu    sync.Mutex
	seq   uint64
	quiet map[net.Conn]uint64
}

// NewIdleCap returns an IdleCap of max connections; evicted, unless nil,
// is called with the peer of each connection it closes.
func NewIdleCap(max int, evicted func(remote net.Addr)) *IdleCap {
	return &IdleCap{max: max, evicted: evicted, quiet: make(map[net.Conn]uint64)}
}

// ConnState tracks conn's state; it is an http.Server's ConnState.
func (c *IdleCap) ConnState(conn net.Conn, state http.ConnState) {
	var victim net.Conn
	c.mu.Lock()
	switch state {
	case http.StateNew, http.StateIdle:
		if len(c.quiet) >= c.max {
			victim = c.oldestLocked()
			delete(c.quiet, victim)
		}
		c.seq++
		c.quiet[conn] = c.seq
	default:
		delete(c.quiet, conn)
	}
	c.mu.Unlock()
	if victim != nil {
		victim.Close()
		if c.evicted != nil {
			c.evicted(victim.RemoteAddr())
		}
	}
}

// Quiet returns how many connections are not serving a request.
func (c *IdleCap) Quiet() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.quiet)
}

// oldestLocked returns the connection that has been quiet the longest;
// the cap is small, so a scan is cheap.
func (c *IdleCap) oldestLocked() net.Conn {
	var oldest net.Conn
	var seq uint64
	for conn, s := range c.quiet {
		if oldest == nil || s < seq {
			oldest, seq = conn, s
		}
	}
	return oldest
}
