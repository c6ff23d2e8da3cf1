package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"6.5840/mr/auth"
	"6.5840/mr/netguard"
	"6.5840/mr/tlsconf"
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
	// busyHangUp is how soon a coordinator that closes a connection
	// before its hello must do so for the worker to call it busy: one
	// out of slots closes it at once, while one that waits for a TLS
	// greeting gives up after seconds.
	busyHangUp = time.Second
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

// ErrBusy is returned (wrapped) when the coordinator closed a connection
// before its handshake began: it was busy with other connections, or
// shutting down. Retrying may help.
var ErrBusy = errors.New("the coordinator closed the connection at once: busy with other connections, or shutting down")

// ErrTLS is returned (wrapped) when TLS could not be set up with a peer:
// its certificate, or this side's, was refused, or it does not speak TLS.
// Retrying does not help.
var ErrTLS = errors.New("TLS refused")

// Dial connects to the coordinator at a. Over TCP the connection is
// authenticated with secret, which must not be zero, before anything else
// is sent, and encrypted with TLS if tlsConf is not nil; a failure to
// authenticate wraps ErrAuth, a refusal of TLS ErrTLS. Over a Unix socket
// the coordinator must run as this user: one of another user, or another
// user's socket that this one may not use, is refused with ErrOtherUser.
func Dial(ctx context.Context, a Addr, secret auth.Secret, tlsConf *tlsconf.Config) (net.Conn, error) {
	if a.Network == "tcp" && secret.IsZero() {
		return nil, fmt.Errorf("dial %s: %w", a, ErrNeedSecret)
	}
	d := net.Dialer{KeepAliveConfig: KeepAlive}
	conn, err := d.DialContext(ctx, a.Network, a.Address)
	if a.Network != "tcp" {
		return unixPeer(a, conn, err)
	}
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		host, _, _ := net.SplitHostPort(a.Address)
		tc := tls.Client(conn, tlsConf.Client(host))
		hctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
		err := tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", a, tlsError(err))
		}
		conn = tc
	}
	start := time.Now()
	authed, err := auth.Client(conn, secret, HandshakeTimeout)
	if err != nil {
		conn.Close()
		if errors.Is(err, auth.ErrSecretRefused) || errors.Is(err, auth.ErrPeerUnproven) {
			return nil, fmt.Errorf("%s: %w: %w", a, ErrAuth, err)
		}
		switch {
		case tlsConf != nil:
			// TLS 1.3 servers check a client's certificate after its
			// handshake ends: a refusal comes with the first read.
			err = tlsError(err)
		case errors.Is(err, io.ErrUnexpectedEOF) && time.Since(start) < busyHangUp:
			// A coordinator closes a connection at once when its
			// handshake slots are taken (or it is shutting down).
			err = fmt.Errorf("%w (%w)", err, ErrBusy)
		case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF):
			// A TLS server waits for the client to speak first, until
			// one side's deadline passes.
			err = fmt.Errorf("%w (does the coordinator use TLS, -tls-*, and this side not?)", err)
		}
		return nil, fmt.Errorf("%s: %w", a, err)
	}
	return authed, nil
}

// unixPeer returns conn, just dialed to a (err if that failed), if the
// coordinator at its far end runs as this user. A coordinator of another
// user is refused (ErrOtherUser), and so is a socket of another user that
// this one may not connect to: its name was taken by someone else.
func unixPeer(a Addr, conn net.Conn, err error) (net.Conn, error) {
	if errors.Is(err, syscall.EACCES) {
		if _, taken := ownFile(a.Address, fs.ModeSocket); errors.Is(taken, ErrAddrTaken) {
			return nil, fmt.Errorf("dial %s: %w: %w", a, ErrOtherUser, taken)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := checkPeerUser(conn); err != nil {
		conn.Close()
		return nil, fmt.Errorf("the coordinator at %s: %w", a, err)
	}
	return conn, nil
}

// tlsError wraps err with ErrTLS if it says that TLS was refused rather
// than that the network failed.
func tlsError(err error) error {
	var verify *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var op *net.OpError
	switch {
	case errors.As(err, &verify), errors.As(err, &record):
	case errors.As(err, &op) && op.Op == remoteAlertOp:
	default:
		return err
	}
	return fmt.Errorf("%w: %w", ErrTLS, err)
}

// remoteAlertOp is the Op of the net.OpError that crypto/tls returns for
// an alert from the peer, such as a refused certificate.
const remoteAlertOp = "remote error"

// ListenAuthenticated listens on a like Listen. Its Accept retries
// temporary errors (too many open files) after a backoff. Over TCP it
// needs a secret: only connections that prove they know it are accepted,
// and refused ones are logged with their peers' addresses, at most a few
// lines a second with a count of those left out (netguard.RateLog). With
// tlsConf, connections are TLS, under the same handshake deadline; it is
// an error on a Unix socket. Over a Unix socket only processes of this
// user are accepted (SO_PEERCRED), and refused ones are logged likewise.
func ListenAuthenticated(a Addr, secret auth.Secret, tlsConf *tlsconf.Config, log *slog.Logger) (net.Listener, error) {
	if a.Network != "tcp" {
		if tlsConf != nil {
			return nil, fmt.Errorf("listen on %s: %w", a, ErrTLSNeedsTCP)
		}
		l, err := Listen(a)
		if err != nil {
			return nil, err
		}
		// Out of file descriptors for a moment is no reason to stop.
		refusals := netguard.NewRateLog(log, 0)
		return &sameUserListener{Listener: netguard.RetryListener(l, log), refused: func(err error) {
			refusals.Warn("connection refused: its process runs as another user", "addr", a.String(), "err", err)
		}}, nil
	}
	if secret.IsZero() {
		return nil, fmt.Errorf("listen on %s: %w", a, ErrNeedSecret)
	}
	l, err := Listen(a)
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		l = tls.NewListener(l, tlsConf.Server())
	}
	refusals := netguard.NewRateLog(log, 0)
	return auth.NewListener(l, secret, HandshakeTimeout, func(remote net.Addr, err error) {
		refusals.Warn("connection refused: it did not authenticate", "peer", remote.String(), "err", err)
	}), nil
}

// ErrTLSNeedsTCP is returned (wrapped) for TLS on a Unix socket, which
// its folder's permissions guard.
var ErrTLSNeedsTCP = errors.New("TLS (-tls-cert, -tls-key, -tls-ca) needs -addr tcp:HOST:PORT")
