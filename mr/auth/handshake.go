package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"time"
)

// Client authenticates conn, freshly dialed, as the side that dialed: it
// proves to the server that it knows the secret and checks that the server
// does too (see the package comment). It returns a connection that sends
// and checks every byte in authenticated frames. The handshake runs under
// a deadline of timeout (DefaultTimeout if timeout <= 0), cleared when it
// succeeds. On failure Client closes conn; the error wraps ErrSecretRefused,
// ErrPeerUnproven, ErrNotAPeer, ErrNoSecret, or the error of a read or
// write: io.ErrUnexpectedEOF for a peer that hung up while we read,
// os.ErrDeadlineExceeded for one that took too long.
func Client(conn net.Conn, s Secret, timeout time.Duration) (net.Conn, error) {
	if s.IsZero() {
		conn.Close()
		return nil, fmt.Errorf("auth handshake with %s: %w", conn.RemoteAddr(), ErrNoSecret)
	}
	h := &handshake{conn: conn, secret: s}
	return h.run(timeout, true, rand.Reader)
}

// Server authenticates conn, freshly accepted, as the side that accepted
// it; it is Client's counterpart. It refuses a client that does not prove
// it knows the secret, telling it so, with an error that wraps
// ErrPeerUnproven; other errors are as for Client.
func Server(conn net.Conn, s Secret, timeout time.Duration) (net.Conn, error) {
	if s.IsZero() {
		conn.Close()
		return nil, fmt.Errorf("auth handshake with %s: %w", conn.RemoteAddr(), ErrNoSecret)
	}
	h := &handshake{conn: conn, secret: s}
	return h.run(timeout, false, rand.Reader)
}

// client is Client with the handshake key k, drawing its nonce from
// nonces.
func client(conn net.Conn, k []byte, timeout time.Duration, nonces io.Reader) (net.Conn, error) {
	h := &handshake{conn: conn, k: k}
	return h.run(timeout, true, nonces)
}

// server is Server with the handshake key k, drawing its nonce from
// nonces.
func server(conn net.Conn, k []byte, timeout time.Duration, nonces io.Reader) (net.Conn, error) {
	h := &handshake{conn: conn, k: k}
	return h.run(timeout, false, nonces)
}

// handshake is one side's state during a handshake: a few hundred bytes,
// and the key and its HMAC only once the peer's first message looks right.
type handshake struct {
	conn net.Conn
	// k is the handshake key; if nil, it is derived from secret when
	// first needed.
	k      []byte
	secret Secret
	// quiet, if positive, is the server's shorter deadline for a client
	// that has not started its proof; timeout applies from then on.
	quiet time.Duration
	// deadline is when the whole handshake must be over.
	deadline time.Time
	ns, nc   [nonceSize]byte
	// msg holds the message being written or read.
	msg [proofSize]byte
	mac hash.Hash
	// sum holds the last HMAC computed.
	sum [macSize]byte
}

// run runs the client's or the server's side under the handshake's
// deadline, clearing the deadline after a success and closing the
// connection after a failure.
func (h *handshake) run(timeout time.Duration, isClient bool, nonces io.Reader) (net.Conn, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var c net.Conn
	h.deadline = time.Now().Add(timeout)
	first := h.deadline
	if !isClient && h.quiet > 0 && h.quiet < timeout {
		first = time.Now().Add(h.quiet)
	}
	err := h.conn.SetDeadline(first)
	switch {
	case err != nil:
		err = fmt.Errorf("set deadline: %w", err)
	case isClient:
		c, err = h.client(nonces)
	default:
		c, err = h.server(nonces)
	}
	if err == nil {
		if err = h.conn.SetDeadline(time.Time{}); err != nil {
			err = fmt.Errorf("clear deadline: %w", err)
		}
	}
	if err != nil {
		h.conn.Close()
		return nil, fmt.Errorf("auth handshake with %s: %w", h.conn.RemoteAddr(), err)
	}
	return c, nil
}

// server runs the server's side of the handshake.
func (h *handshake) server(nonces io.Reader) (net.Conn, error) {
	if _, err := io.ReadFull(nonces, h.ns[:]); err != nil {
		return nil, fmt.Errorf("draw nonce: %w", err)
	}
	hello := append(append(h.msg[:0], magic...), h.ns[:]...)
	if err := h.write(hello, "hello"); err != nil {
		return nil, err
	}
	if err := h.readMagic("proof"); err != nil {
		return nil, err
	}
	if h.quiet > 0 {
		if err := h.conn.SetDeadline(h.deadline); err != nil {
			return nil, fmt.Errorf("set deadline: %w", err)
		}
	}
	rest := h.msg[len(magic):proofSize]
	if err := h.read(rest, "proof"); err != nil {
		return nil, err
	}
	copy(h.nc[:], rest)
	h.keyMAC()
	if !hmac.Equal(h.sign(labelClientProof), rest[nonceSize:]) {
		// The verdict is a courtesy: the error is ours either way.
		h.write(append(h.msg[:0], statusRefused), "verdict")
		return nil, ErrPeerUnproven
	}
	verdict := append(append(h.msg[:0], statusOK), h.sign(labelServerProof)...)
	if err := h.write(verdict, "verdict"); err != nil {
		return nil, err
	}
	return h.session(false), nil
}

// client runs the client's side of the handshake.
func (h *handshake) client(nonces io.Reader) (net.Conn, error) {
	if err := h.readMagic("hello"); err != nil {
		return nil, err
	}
	if err := h.read(h.ns[:], "hello"); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(nonces, h.nc[:]); err != nil {
		return nil, fmt.Errorf("draw nonce: %w", err)
	}
	h.keyMAC()
	proof := append(append(append(h.msg[:0], magic...), h.nc[:]...), h.sign(labelClientProof)...)
	if err := h.write(proof, "proof"); err != nil {
		return nil, err
	}
	status := h.msg[:1]
	if err := h.read(status, "verdict"); err != nil {
		return nil, err
	}
	switch status[0] {
	case statusRefused:
		return nil, ErrSecretRefused
	case statusOK:
	default:
		return nil, fmt.Errorf("%w: verdict %q", ErrNotAPeer, status)
	}
	proven := h.msg[1:verdictSize]
	if err := h.read(proven, "verdict"); err != nil {
		return nil, err
	}
	if !hmac.Equal(h.sign(labelServerProof), proven) {
		return nil, ErrPeerUnproven
	}
	return h.session(true), nil
}

// keyMAC makes the HMAC keyed with k, deriving k if need be.
func (h *handshake) keyMAC() {
	if h.k == nil {
		h.k = h.secret.Key(PurposeHandshake)
	}
	h.mac = hmac.New(sha256.New, h.k)
}

// sign returns HMAC(k, label Ns Nc), valid until the next call.
func (h *handshake) sign(label string) []byte {
	h.mac.Reset()
	io.WriteString(h.mac, label)
	h.mac.Write(h.ns[:])
	h.mac.Write(h.nc[:])
	return h.mac.Sum(h.sum[:0])
}

// session returns the framed connection, for the client's side or the
// server's.
func (h *handshake) session(isClient bool) net.Conn {
	var c2s, s2c [macSize]byte
	copy(c2s[:], h.sign(labelClientToServer))
	copy(s2c[:], h.sign(labelServerToClient))
	if isClient {
		return newConn(h.conn, c2s[:], dirClientToServer, s2c[:], dirServerToClient)
	}
	return newConn(h.conn, s2c[:], dirServerToClient, c2s[:], dirClientToServer)
}

// readMagic reads the magic that starts a message of the given name.
func (h *handshake) readMagic(what string) error {
	got := h.msg[:len(magic)]
	if err := h.read(got, what); err != nil {
		return err
	}
	if string(got) != magic {
		return fmt.Errorf("%w: %s starts with %q, not %q", ErrNotAPeer, what, got, magic)
	}
	return nil
}

// read reads exactly len(p) bytes of a message of the given name.
func (h *handshake) read(p []byte, what string) error {
	_, err := io.ReadFull(h.conn, p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("read %s: peer hung up: %w", what, io.ErrUnexpectedEOF)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	return nil
}

// write writes a message of the given name.
func (h *handshake) write(p []byte, what string) error {
	if _, err := h.conn.Write(p); err != nil {
		return fmt.Errorf("write %s: %w", what, err)
	}
	return nil
}
