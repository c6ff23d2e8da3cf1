package shuffle

import (
	"context"
	"net"
	"time"
)

// idleDialer dials connections whose every read must get a byte, and
// every write finish, within timeout. http.Transport's own timeouts stop
// at the reply's headers; this one covers the body too, so that a peer
// that stops answering mid-reply fails the fetch instead of hanging it.
type idleDialer struct {
	dialer  *net.Dialer
	timeout time.Duration
}

// DialContext dials like net.Dialer.DialContext and wraps the connection.
func (d idleDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &idleConn{Conn: c, timeout: d.timeout}, nil
}

// idleConn pushes its deadlines forward before each Read and Write.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

// Read reads, failing with a timeout if no byte comes within c.timeout.
func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// Write writes, failing with a timeout if it does not finish within
// c.timeout.
func (c *idleConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
