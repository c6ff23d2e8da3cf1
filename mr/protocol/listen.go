package protocol

import (
	"context"
	"errors"
	"fmt"
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
// to take over a live socket, and makes the new socket private to its
// owner.
func Listen(a Addr) (net.Listener, error) {
	if a.Network != "unix" {
		lc := net.ListenConfig{KeepAliveConfig: KeepAlive}
		l, err := lc.Listen(context.Background(), a.Network, a.Address)
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w", a, err)
		}
		return l, nil
	}
	lock, err := flock.Acquire(a.Address + lockSuffix)
	if errors.Is(err, flock.ErrHeld) {
		return nil, fmt.Errorf("listen on %s: %w (%w)", a, ErrInUse, err)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	l, err := listenUnix(a)
	if err != nil {
		lock.Release()
		return nil, err
	}
	return &lockedListener{Listener: l, lock: lock}, nil
}

// listenUnix listens on a Unix socket, replacing a stale socket file. The
// caller holds the address's lock.
func listenUnix(a Addr) (net.Listener, error) {
	if conn, err := net.Dial("unix", a.Address); err == nil {
		conn.Close()
		return nil, fmt.Errorf("listen on %s: %w", a, ErrInUse)
	}
	if info, err := os.Lstat(a.Address); err == nil && info.Mode()&os.ModeSocket != 0 {
		os.Remove(a.Address)
	}
	l, err := net.Listen("unix", a.Address)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	if err := os.Chmod(a.Address, socketMode); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	return l, nil
}

// lockedListener is a Unix listener that holds its address's lock until
// it is closed.
type lockedListener struct {
	net.Listener
	lock *flock.Lock
	once sync.Once
}

// Close closes the listener (which removes the socket file) and releases
// the lock.
func (l *lockedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(l.lock.Release)
	return err
}
