package protocol

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	if errors.Is(err, ErrInUse) {
		return nil, inUse(a)
	}
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", a, err)
	}
	l, made, err := listenUnix(a)
	if err != nil {
		lock.release()
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

// fileLock is an exclusive flock on a file that exists while it is held.
type fileLock struct {
	path string
	f    *os.File
	held fs.FileInfo
}

// acquireLock locks the file at path, creating it. It fails at once with
// ErrInUse if another process holds the lock, and with ErrAddrTaken if
// the name is not this user's regular file. A lock taken on a file that
// its holder removed meanwhile is retaken on the new file, so that the
// holder may remove the file when it lets go.
func acquireLock(path string) (*fileLock, error) {
	for {
		if _, err := ownFile(path, 0); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, lockMode)
		if err != nil {
			if _, taken := ownFile(path, 0); taken != nil {
				return nil, taken
			}
			return nil, err
		}
		// What was opened, not what the name showed a moment before.
		held, err := f.Stat()
		if err == nil {
			err = checkOwnFile(path, held, 0)
		}
		if err != nil {
			f.Close()
			return nil, err
		}
		if err := flock(f); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, ErrInUse
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		now, err := os.Lstat(path)
		if err == nil && os.SameFile(held, now) {
			return &fileLock{path: path, f: f, held: held}, nil
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

// release removes the lock file, if its name still holds it, then lets
// go of the lock.
func (l *fileLock) release() {
	removeIfSame(l.path, l.held)
	l.f.Close()
}

// lockedListener is a Unix listener that holds its address's lock until
// it is closed.
type lockedListener struct {
	net.Listener
	lock *fileLock
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
		l.lock.release()
	})
	return err
}
