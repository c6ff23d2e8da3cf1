package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"sync"

	"6.5840/mr/flock"
)

// lockSuffix names the lock file beside a Unix socket.
const lockSuffix = ".lock"

// ErrInUse is returned (wrapped) by Listen when another coordinator serves
// the address.
var ErrInUse = errors.New("another coordinator is already serving there")

// Listen listens on a. For a Unix socket it first takes an exclusive lock
// on the file ADDR.lock, held until the listener is closed: only the lock
// holder may decide that a socket file is stale and replace it, so two
// coordinators starting at once cannot both take the address. It refuses
// to take over a live socket, and anything at the socket's or the lock's
// name that is not this user's own socket or lock file (ErrAddrTaken). It
// makes the new socket private to its owner, and Close removes it only if
// the name still holds the socket it made.
func Listen(a Addr) (net.Listener, error) {
	if a.Network != "unix" {
		lc := net.ListenConfig{KeepAliveConfig: KeepAlive}
		l, err := lc.Listen(context.Background(), a.Network, a.Address)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", a, err)
		}
		return l, nil
	}
	lock, err := acquireLock(a.Address + lockSuffix)
	if errors.Is(err, flock.ErrHeld) {
		return nil, inUse(a)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	l, made, err := listenUnix(a)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return &lockedListener{Listener: l, lock: lock, path: a.Address, made: made}, nil
}

// listenUnix listens on a Unix socket, replacing this user's stale socket
// file, and returns what it made at the name. The caller holds the
// address's lock.
func listenUnix(a Addr) (net.Listener, fs.FileInfo, error) {
	old, err := ownFile(a.Address, fs.ModeSocket)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	if old != nil {
		if conn, err := net.Dial("unix", a.Address); err == nil {
			conn.Close()
			return nil, nil, inUse(a)
		}
		// Our own socket, and nothing listens: left by a coordinator of
		// ours that died.
		removeIfSame(a.Address, old)
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: a.Address, Net: "unix"})
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	// Close removes the name itself, and only while it is this socket.
	l.SetUnlinkOnClose(false)
	made, err := ownFile(a.Address, fs.ModeSocket)
	if err == nil && made == nil {
		err = fmt.Errorf("%s vanished as it was made", a.Address)
	}
	if err != nil {
		l.Close()
		return nil, nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	if err := os.Chmod(a.Address, socketMode); err != nil {
		l.Close()
		removeIfSame(a.Address, made)
		return nil, nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	return l, made, nil
}

// inUse returns ErrInUse for a, with the way to run a second job.
func inUse(a Addr) error {
	return fmt.Errorf("listen on %s: %w (to run another job beside it, give each its own -addr or $%s)", a, ErrInUse, AddrEnv)
}

// acquireLock locks the lock file at path (see flock.Acquire). It fails
// with ErrAddrTaken if the name is not this user's regular file, checked
// on the name and again on the file opened, so that a name swapped in
// between is caught too.
func acquireLock(path string) (*flock.Lock, error) {
	if _, err := ownFile(path, 0); err != nil {
		return nil, err
	}
	lock, err := flock.AcquireChecked(path, func(held fs.FileInfo) error { return checkOwnFile(path, held, 0) })
	if err != nil && !errors.Is(err, flock.ErrHeld) {
		if _, taken := ownFile(path, 0); taken != nil {
			return nil, taken
		}
	}
	return lock, err
}

// lockedListener is a Unix listener that holds its address's lock until
// it is closed.
type lockedListener struct {
	net.Listener
	lock *flock.Lock
	path string
	// made is the socket file this listener made at path.
	made fs.FileInfo
	once sync.Once
}

// Close closes the listener, removes the socket file if path still holds
// the one it made, and releases the lock.
func (l *lockedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() {
		removeIfSame(l.path, l.made)
		l.lock.Release()
	})
	return err
}
