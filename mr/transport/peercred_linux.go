package transport

import (
	"errors"
	"net"
	"syscall"
)

// peerCred reads the peer's credentials of conn, a Unix socket, with
// SO_PEERCRED.
func peerCred(conn net.Conn) (peerCreds, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return peerCreds{}, errors.New("not a socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return peerCreds{}, err
	}
	var cred *syscall.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
	}); err != nil {
		return peerCreds{}, err
	}
	if credErr != nil {
		return peerCreds{}, credErr
	}
	return peerCreds{pid: int(cred.Pid), uid: int(cred.Uid)}, nil
}
