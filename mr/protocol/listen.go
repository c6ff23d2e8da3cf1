package protocol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
)

const (
	// lockSuffix names the lock file beside a Unix socket.
	lockSuffix = ".lock"
	// lockMode is the mode of that lock file.
	lockMode = 0o600
)

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
	lock, err := acquireLock(a.Address + lockSuffix)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	l, err := listenUnix(a)
	if err != nil {
		lock.release()
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

// fileLock is an exclusive flock on a file that exists while it is held.
type fileLock struct {
	path string
	f    *os.File
}

// acquireLock locks the file at path, creating it. It fails at once with
// ErrInUse if another process holds the lock. A lock taken on a file that
// its holder removed meanwhile is retaken on the new file, so that the
// holder may remove the file when it lets go.
func acquireLock(path string) (*fileLock, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, lockMode)
		if err != nil {
			return nil, err
		}
		if err := flock(f); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, ErrInUse
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return &fileLock{path: path, f: f}, nil
		}
		f.Close()
	}
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}

// release removes the lock file, then lets go of the lock.
func (l *fileLock) release() {
	os.Remove(l.path)
	l.f.Close()
}

// lockedListener is a Unix listener that holds its address's lock until
// it is closed.
type lockedListener struct {
	net.Listener
	lock *fileLock
	once sync.Once
}

// Close closes the listener (which removes the socket file) and releases
// the lock.
func (l *lockedListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(l.lock.release)
	return err
}
