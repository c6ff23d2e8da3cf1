package transport

import (
	"errors"
	"fmt"
	"net"
	"os"
)

// ErrOtherUser is returned (wrapped) by Dial when the process at the far
// end of a Unix socket runs as another user, and is what ListenAuthenticated
// logs when it refuses such a connection. Over a Unix socket both sides
// must run as the same user (root included); retrying does not help.
var ErrOtherUser = errors.New("refusing a peer that runs as another user " +
	"(over a Unix socket both sides must run as the same user; across users, use -addr tcp:HOST:PORT with -secret-file)")

// errNoPeerCred says that the system cannot tell a Unix socket's peer.
var errNoPeerCred = errors.New("peer credentials not available")

// checkPeerUser returns an error wrapping ErrOtherUser unless the process
// at the far end of conn, a Unix socket, runs as this process's effective
// user. Where the system cannot tell (no SO_PEERCRED), it returns nil and
// the socket's mode alone keeps other users out.
func checkPeerUser(conn net.Conn) error {
	cred, err := peerCred(conn)
	if errors.Is(err, errNoPeerCred) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the peer's credentials: %w", err)
	}
	return samePeerUser(cred, os.Geteuid())
}

// samePeerUser returns nil if cred is of user uid, else an error wrapping
// ErrOtherUser that names both users and the peer's process.
func samePeerUser(cred peerCreds, uid int) error {
	if cred.uid == uid {
		return nil
	}
	return fmt.Errorf("process %d runs as %s, not as you, %s: %w", cred.pid, userName(cred.uid), userName(uid), ErrOtherUser)
}

// peerCreds are the credentials of the process at the far end of a Unix
// socket: for a client, of the process that listened; for a server, of
// the one that connected.
type peerCreds struct {
	pid, uid int
}

// sameUserListener accepts only connections from processes of this user,
// and reports every other one to refused before closing it.
type sameUserListener struct {
	net.Listener
	refused func(err error)
}

// Accept returns the next connection from a process of this user.
func (l *sameUserListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if err := checkPeerUser(conn); err != nil {
			conn.Close()
			l.refused(err)
			continue
		}
		return conn, nil
	}
}
