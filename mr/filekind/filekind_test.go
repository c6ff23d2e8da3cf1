package filekind

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// testFiles makes a folder holding a regular file of 4 bytes and a named
// pipe.
func testFiles(t *testing.T) (dir, regular, fifo string) {
	dir = t.TempDir()
	regular = filepath.Join(dir, "regular")
	require.NoError(t, os.WriteFile(regular, []byte("data"), 0o600))
	fifo = filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	return dir, regular, fifo
}

func TestOpenRegular(t *testing.T) {
	dir, regular, fifo := testFiles(t)

	f, info, err := OpenRegular(regular)
	require.NoError(t, err)
	data, err := io.ReadAll(f)
	require.NoError(t, err)
	require.Equal(t, "data", string(data))
	require.Equal(t, int64(4), info.Size())
	f.Close()

	for path, kind := range map[string]string{fifo: "a named pipe", dir: "a directory", "/dev/null": "a character device"} {
		_, _, err := OpenRegular(path)
		var notRegular *NotRegularError
		require.True(t, errors.As(err, &notRegular), "%s: %v", path, err)
		require.EqualError(t, err, path+" is "+kind+", not a regular file")
	}
	_, _, err = OpenRegular(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestStatReadable(t *testing.T) {
	dir, regular, fifo := testFiles(t)

	info, err := StatReadable(regular)
	require.NoError(t, err)
	require.Equal(t, int64(4), info.Size())

	for path, kind := range map[string]string{fifo: "a named pipe", dir: "a directory", "/dev/null": "a character device"} {
		_, err := StatReadable(path)
		var notRegular *NotRegularError
		require.True(t, errors.As(err, &notRegular), "%s: %v", path, err)
		require.EqualError(t, err, path+" is "+kind+", not a regular file")
	}
	_, err = StatReadable(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, os.ErrNotExist)

	if os.Geteuid() != 0 {
		// root reads whatever the mode says.
		unreadable := filepath.Join(dir, "unreadable")
		require.NoError(t, os.WriteFile(unreadable, nil, 0o200))
		_, err = StatReadable(unreadable)
		require.ErrorIs(t, err, os.ErrPermission)
		require.ErrorContains(t, err, unreadable)
	}
}
