package transport

import (
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// otherUID is the second user of the tests that need one (nobody, on most
// systems); only root may make its files or run its processes.
const otherUID = 65534

// needRoot skips t unless it runs as root, saying why.
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("skipped: needs root to %s (uid %d)", why, otherUID)
	}
}

// staleSocket leaves a socket file at path with nothing listening, as a
// coordinator killed with SIGKILL does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	l.SetUnlinkOnClose(false)
	require.NoError(t, l.Close())
}

// liveSocket listens at path until the test ends, accepting and closing
// connections.
func liveSocket(t *testing.T, path string) {
	t.Helper()
	l, err := net.Listen("unix", path)
	require.NoError(t, err)
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
}

// giveToOther makes path another user's, as root.
func giveToOther(t *testing.T, path string) {
	t.Helper()
	needRoot(t, "make a file of another user")
	require.NoError(t, os.Lchown(path, otherUID, otherUID))
}

// TestListenRefusesWhatIsNotOurs puts at the socket's name, or at its lock
// file's, something this user did not make there: Listen must refuse it
// with a message naming the path, what it is, its owner and the way out,
// and leave it as it was.
func TestListenRefusesWhatIsNotOurs(t *testing.T) {
	other := "uid " + strconv.Itoa(otherUID)
	tests := []struct {
		name string
		// lock puts the squatter at the lock file's name, not the socket's.
		lock bool
		// make puts it at path, in dir.
		make func(t *testing.T, dir, path string)
		want []string
	}{
		{"another user's stale socket", false, func(t *testing.T, _, path string) {
			staleSocket(t, path)
			giveToOther(t, path)
		}, []string{"a socket owned by", other}},
		{"another user's live socket", false, func(t *testing.T, _, path string) {
			liveSocket(t, path)
			giveToOther(t, path)
		}, []string{"a socket owned by", other}},
		{"a symbolic link to a live socket", false, func(t *testing.T, dir, path string) {
			liveSocket(t, filepath.Join(dir, "squatter.sock"))
			require.NoError(t, os.Symlink(filepath.Join(dir, "squatter.sock"), path))
		}, []string{"a symbolic link owned by"}},
		{"a dangling symbolic link", false, func(t *testing.T, dir, path string) {
			require.NoError(t, os.Symlink(filepath.Join(dir, "elsewhere.sock"), path))
		}, []string{"a symbolic link owned by"}},
		{"a directory", false, func(t *testing.T, _, path string) {
			require.NoError(t, os.Mkdir(path, 0o755))
		}, []string{"a directory"}},
		{"another user's regular file", false, func(t *testing.T, _, path string) {
			require.NoError(t, os.WriteFile(path, nil, 0o644))
			giveToOther(t, path)
		}, []string{"a regular file owned by", other}},
		{"a regular file of ours", false, func(t *testing.T, _, path string) {
			require.NoError(t, os.WriteFile(path, nil, 0o600))
		}, []string{"a regular file of yours, not a socket"}},
		{"another user's lock file", true, func(t *testing.T, _, path string) {
			require.NoError(t, os.WriteFile(path, nil, 0o666))
			giveToOther(t, path)
		}, []string{"a regular file owned by", other}},
		{"a symbolic link at the lock file's name", true, func(t *testing.T, dir, path string) {
			require.NoError(t, os.Symlink(filepath.Join(dir, "victim"), path))
		}, []string{"a symbolic link owned by"}},
		{"a directory at the lock file's name", true, func(t *testing.T, _, path string) {
			require.NoError(t, os.Mkdir(path, 0o755))
		}, []string{"a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := Addr{"unix", filepath.Join(dir, "5840-mr-"+strconv.Itoa(os.Getuid()))}
			at := a.Address
			if tt.lock {
				at += lockSuffix
			}
			tt.make(t, dir, at)
			before, err := os.Lstat(at)
			require.NoError(t, err)

			l, err := Listen(a)
			if err == nil {
				l.Close()
			}
			require.ErrorIs(t, err, ErrAddrTaken)
			for _, w := range append(tt.want, at, "-addr") {
				require.ErrorContains(t, err, w)
			}
			after, err := os.Lstat(at)
			require.NoError(t, err, "the squatter's file is gone")
			require.True(t, os.SameFile(before, after), "the squatter's file was replaced")
			require.Equal(t, before.Mode(), after.Mode())
			require.Equal(t, before.Sys().(*syscall.Stat_t).Uid, after.Sys().(*syscall.Stat_t).Uid)
			_, err = os.Lstat(filepath.Join(dir, "victim"))
			require.ErrorIs(t, err, fs.ErrNotExist, "a file was made through the symbolic link")
			if !tt.lock {
				_, err = os.Lstat(a.Address + lockSuffix)
				require.ErrorIs(t, err, fs.ErrNotExist, "the lock file outlived the refusal")
			}
		})
	}
}

// TestCloseLeavesANameNoLongerOurs replaces the socket and the lock file
// of a running listener, as another job of this user might after someone
// removed them: Close must remove neither replacement.
func TestCloseLeavesANameNoLongerOurs(t *testing.T) {
	a := Addr{"unix", filepath.Join(t.TempDir(), "mr.sock")}
	l, err := Listen(a)
	require.NoError(t, err)
	require.NoError(t, os.Remove(a.Address))
	require.NoError(t, os.Remove(a.Address+lockSuffix))
	staleSocket(t, a.Address)
	require.NoError(t, os.WriteFile(a.Address+lockSuffix, nil, 0o600))
	socket, err := os.Lstat(a.Address)
	require.NoError(t, err)
	lock, err := os.Lstat(a.Address + lockSuffix)
	require.NoError(t, err)

	require.NoError(t, l.Close())
	now, err := os.Lstat(a.Address)
	require.NoError(t, err, "Close removed a socket it did not make")
	require.True(t, os.SameFile(socket, now))
	now, err = os.Lstat(a.Address + lockSuffix)
	require.NoError(t, err, "Close removed a lock file it did not make")
	require.True(t, os.SameFile(lock, now))
}
