// Package flock takes exclusive locks on files, so that one process at a
// time owns what the file stands for: a Unix socket's address, a job
// folder.
//
// A lock is an flock(2) on a file that exists while it is held. The
// holder writes its process id into the file, so that a process refused
// the lock can say who holds it. The kernel lets go of the lock when its
// holder dies, whatever state the file is in; a lock file left behind by
// a killed holder is simply locked again.
package flock

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// fileMode is the mode of a lock file.
const fileMode = 0o600

// maxPIDBytes bounds how much of a lock file is read to find its holder.
const maxPIDBytes = 32

// ErrHeld is returned (wrapped in a *HeldError) when another process holds
// the lock.
var ErrHeld = errors.New("locked by another process")

// HeldError says which lock is held, and by which process if known.
type HeldError struct {
	Path string
	// PID is the holder's process id, or 0 if the file does not say.
	PID int
}

func (e *HeldError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("%s is locked by process %d", e.Path, e.PID)
	}
	return fmt.Sprintf("%s is locked by another process", e.Path)
}

// Unwrap returns ErrHeld.
func (e *HeldError) Unwrap() error { return ErrHeld }

// Lock is an exclusive lock on a file.
type Lock struct {
	path string
	f    *os.File
	// held is the file locked, which Release removes only while path
	// still names it.
	held fs.FileInfo
}

// Acquire locks the file at path, creating it, and writes this process's
// id into it. It fails at once with a *HeldError if another process (or
// another Lock of this one) holds it. A lock taken on a file that its
// holder removed meanwhile is retaken on the new file, so that the holder
// may remove the file when it lets go. A symbolic link at path is never
// followed: it fails the open.
func Acquire(path string) (*Lock, error) { return AcquireChecked(path, nil) }

// AcquireChecked is Acquire for a lock file in a folder that others may
// write to: check, unless nil, vets the file actually opened (its owner,
// its kind) before it is locked or written, and its error is returned
// as it is.
func AcquireChecked(path string, check func(fs.FileInfo) error) (*Lock, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, fileMode)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		held, err := f.Stat()
		if err == nil && check != nil {
			if err := check(held); err != nil {
				f.Close()
				return nil, err
			}
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if err := flock(f); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &HeldError{Path: path, PID: holder(path)}
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if now, err := os.Lstat(path); err != nil || !os.SameFile(held, now) {
			f.Close()
			continue
		}
		if err := writePID(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return &Lock{path: path, f: f, held: held}, nil
	}
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// Release removes the lock file, if its path still names it, then lets go
// of the lock.
func (l *Lock) Release() {
	if now, err := os.Lstat(l.path); err == nil && os.SameFile(l.held, now) {
		os.Remove(l.path)
	}
	l.f.Close()
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err != syscall.EINTR {
			return err
		}
	}
}

// writePID replaces the file's contents with this process's id.
func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

// holder returns the process id written in the lock file at path, or 0.
func holder(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, maxPIDBytes)
	n, _ := f.Read(buf)
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
