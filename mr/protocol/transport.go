package protocol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"6.5840/mr/auth"
)

const (
	// HandshakeTimeout bounds the authentication of a TCP connection: a
	// peer that says nothing, or garbage, is dropped after it.
	HandshakeTimeout = 5 * time.Second
	// keepAliveIdle, keepAliveInterval and keepAliveCount make TCP notice
	// a peer that vanished without a word (a pulled cable) on a connection
	// that is otherwise quiet: after keepAliveIdle of silence, probes every
	// keepAliveInterval, given up on after keepAliveCount.
	keepAliveIdle     = 5 * time.Second
	keepAliveInterval = time.Second
	keepAliveCount    = 3
)

// KeepAlive is the TCP keepalive of every connection between a coordinator
// and its workers, and between workers.
var KeepAlive = net.KeepAliveConfig{Enable: true, Idle: keepAliveIdle, Interval: keepAliveInterval, Count: keepAliveCount}

// ErrNeedSecret is returned (wrapped) for a TCP address without a secret:
// nothing reachable over a network may act on an unauthenticated request.
var ErrNeedSecret = errors.New("a TCP address needs a secret (-secret-file)")

// ErrAuth is returned (wrapped) when a connection could not be
// authenticated: the two sides do not share the secret. Retrying does not
// help.
var ErrAuth = errors.New("authentication failed")

// Dial connects to the coordinator at a. Over TCP the connection is
// authenticated with secret, which must not be zero, before anything else
// is sent; a failure to authenticate wraps ErrAuth.
func Dial(ctx context.Context, a Addr, secret auth.Secret) (net.Conn, error) {
	if a.Network == "tcp" && secret.IsZero() {
		return nil, fmt.Errorf("dial %s: %w", a, ErrNeedSecret)
	}
	d := net.Dialer{KeepAliveConfig: KeepAlive}
	conn, err := d.DialContext(ctx, a.Network, a.Address)
	if err != nil || a.Network != "tcp" {
		return conn, err
	}
	authed, err := auth.Client(conn, secret, HandshakeTimeout)
	if err != nil {
		conn.Close()
		if errors.Is(err, auth.ErrRefused) || errors.Is(err, auth.ErrPeerUnproven) {
			return nil, fmt.Errorf("%s: %w: %w", a, ErrAuth, err)
		}
		return nil, fmt.Errorf("%s: %w", a, err)
	}
	return authed, nil
}

// ListenAuthenticated listens on a like Listen. Over TCP it needs a
// secret: only connections that prove they know it are accepted, and each
// refused one is logged with its peer's address.
func ListenAuthenticated(a Addr, secret auth.Secret, log *slog.Logger) (net.Listener, error) {
	if a.Network != "tcp" {
		return Listen(a)
	}
	if secret.IsZero() {
		return nil, fmt.Errorf("listen on %s: %w", a, ErrNeedSecret)
	}
	l, err := Listen(a)
	if err != nil {
		return nil, err
	}
	return auth.NewListener(l, secret, HandshakeTimeout, func(remote net.Addr, err error) {
		log.Warn("connection refused: it did not authenticate", "peer", remote.String(), "err", err)
	}), nil
}
