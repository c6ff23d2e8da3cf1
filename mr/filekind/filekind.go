// Package filekind refuses files that are not regular files, naming what
// they are: a named pipe or a device could block a read forever, or give
// each reader different bytes.
package filekind

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// Describe names the kind of file a mode describes: "a regular file",
// "a directory", "a named pipe", and so on.
func Describe(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return "a regular file"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file (" + mode.Type().String() + ")"
}

// NotRegularError is returned by Check and OpenRegular for a file that is
// not a regular file.
type NotRegularError struct {
	Path string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file", e.Path, Describe(e.Mode))
}

// Check returns a *NotRegularError if info, of the file at path, is not a
// regular file.
func Check(path string, info fs.FileInfo) error {
	if !info.Mode().IsRegular() {
		return &NotRegularError{Path: path, Mode: info.Mode()}
	}
	return nil
}

// OpenRegular opens the file at path for reading if it is a regular file,
// without blocking on a named pipe; otherwise it returns a
// *NotRegularError.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	// O_NONBLOCK keeps a named pipe from blocking the open; it does
	// nothing to a regular file.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err == nil {
		err = Check(path, info)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}

// StatReadable returns the FileInfo of the file at path if it is a
// regular file this process can open for reading; otherwise a
// *NotRegularError, or the error of stat or open. It holds no *os.File
// (which the runtime would try to add to its poller): a job of thousands
// of inputs checks each at start.
func StatReadable(path string) (fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if err := Check(path, info); err != nil {
		return nil, err
	}
	fd, err := openReadOnly(path)
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	syscall.Close(fd)
	return info, nil
}

// openReadOnly opens path read-only, without blocking on a named pipe put
// in place since it was checked, retrying on EINTR.
func openReadOnly(path string) (int, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
