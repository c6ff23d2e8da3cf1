package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// ErrAddrTaken is returned (wrapped) by Listen when the socket's name, or
// its lock file's, is taken by something this user did not make there:
// another user's file or socket, a symbolic link, a directory. In a
// folder that anyone may write to, such as the default's /var/tmp, it
// may be a trap: workers that connect through it would talk to whoever
// made it. So Listen leaves it alone and says whose it is.
var ErrAddrTaken = errors.New("refusing to use that name")

// ownFile returns what is at path if it is a file of kind (fs.ModeSocket,
// or 0 for a regular file) owned by this user, nil if nothing is there,
// or an error wrapping ErrAddrTaken that names the path, what it is and
// its owner. It never follows a symbolic link.
func ownFile(path string, kind fs.FileMode) (fs.FileInfo, error) {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if err := checkOwnFile(path, info, kind); err != nil {
		return nil, err
	}
	return info, nil
}

// checkOwnFile returns nil if info, found at path, is a file of kind owned
// by this user, else an error wrapping ErrAddrTaken.
func checkOwnFile(path string, info fs.FileInfo, kind fs.FileMode) error {
	owner := -1
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		owner = int(st.Uid)
	}
	var what string
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		what = fmt.Sprintf("a symbolic link owned by %s, which this program never makes", userName(owner))
	case owner != os.Geteuid():
		what = fmt.Sprintf("%s owned by %s, not by you, %s", kindName(info.Mode()), userName(owner), userName(os.Geteuid()))
	case info.Mode().Type() != kind:
		what = fmt.Sprintf("%s of yours, not %s", kindName(info.Mode()), kindName(kind))
	default:
		return nil
	}
	return fmt.Errorf("%s is %s: %w; remove it if it may go, or pass -addr PATH (or set $%s) to use another name",
		path, what, ErrAddrTaken, AddrEnv)
}

// kindName names a file's type, with its article.
func kindName(m fs.FileMode) string {
	switch m.Type() {
	case 0:
		return "a regular file"
	case fs.ModeSocket:
		return "a socket"
	case fs.ModeDir:
		return "a directory"
	case fs.ModeSymlink:
		return "a symbolic link"
	case fs.ModeNamedPipe:
		return "a named pipe"
	default:
		return "a special file"
	}
}

// userName names the user with uid, as "name (uid N)", or "uid N" if the
// name is unknown.
func userName(uid int) string {
	if uid < 0 {
		return "an unknown user"
	}
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil {
		return fmt.Sprintf("%s (uid %s)", u.Username, id)
	}
	return "uid " + id
}

// removeIfSame removes path if it is still the file described by ours,
// which this process made: never a file that someone put in its place.
func removeIfSame(path string, ours fs.FileInfo) {
	if now, err := os.Lstat(path); err == nil && os.SameFile(now, ours) {
		os.Remove(path)
	}
}
