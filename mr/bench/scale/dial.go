package scale

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/rpc"
	"time"

	"6.5840/mr/auth"
	"6.5840/mr/transport"
)

// Dial retries: a dial the coordinator refused for lack of handshake
// slots (or of descriptors) is tried again after a backoff, for at most
// dialAttempts tries.
const (
	dialAttempts       = 20
	dialInitialBackoff = 10 * time.Millisecond
	dialMaxBackoff     = time.Second
)

// sourceAddr returns the loopback address worker i (0-based) dials from:
// one of its own in 127.1.0.1 and up, as if each worker were a host.
func sourceAddr(i int) net.IP {
	n := i + 1
	return net.IPv4(127, byte(1+n>>16), byte(n>>8), byte(n))
}

// dialer dials the coordinator from workers' own addresses, with at most
// cap(slots) handshakes in flight.
type dialer struct {
	addr    string
	secret  auth.Secret
	timeout time.Duration
	// slots holds a token per handshake in flight.
	slots chan struct{}
}

func newDialer(addr string, secret auth.Secret, maxDialing int) *dialer {
	return &dialer{addr: addr, secret: secret, timeout: transport.HandshakeTimeout, slots: make(chan struct{}, maxDialing)}
}

// dial returns an RPC client on a new authenticated connection from src,
// retrying a busy coordinator with backoff.
func (d *dialer) dial(ctx context.Context, src net.IP) (*rpc.Client, error) {
	backoff := dialInitialBackoff
	var err error
	for range dialAttempts {
		var conn net.Conn
		if conn, err = d.dialOnce(ctx, src); err == nil {
			return rpc.NewClient(conn), nil
		}
		if ctx.Err() != nil || errors.Is(err, auth.ErrSecretRefused) {
			break
		}
		timer := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
		backoff = min(2*backoff, dialMaxBackoff)
	}
	return nil, fmt.Errorf("dial %s from %s: %w", d.addr, src, err)
}

// dialOnce connects from src and runs the client side of the handshake,
// holding a slot meanwhile.
func (d *dialer) dialOnce(ctx context.Context, src net.IP) (net.Conn, error) {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-d.slots }()
	nd := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: d.timeout, KeepAliveConfig: transport.KeepAlive}
	conn, err := nd.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err
	}
	authed, err := auth.Client(conn, d.secret, d.timeout)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return authed, nil
}
