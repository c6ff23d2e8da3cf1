package flock

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSecondLockIsRefusedNamingTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	first, err := Acquire(path)
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(os.Getpid())+"\n", string(data))

	_, err = Acquire(path)
	var held *HeldError
	require.True(t, errors.As(err, &held), "got %v", err)
	require.ErrorIs(t, err, ErrHeld)
	require.Equal(t, os.Getpid(), held.PID)
	require.ErrorContains(t, err, path)

	first.Release()
	_, err = os.Stat(path)
	require.True(t, os.IsNotExist(err), "a released lock leaves no file: %v", err)
	again, err := Acquire(path)
	require.NoError(t, err)
	again.Release()
}

func TestLeftoverLockFileIsTakenAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	// A holder that was killed leaves its file, unlocked.
	require.NoError(t, os.WriteFile(path, []byte("999999999\n"), 0o600))
	l, err := Acquire(path)
	require.NoError(t, err)
	defer l.Release()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, strconv.Itoa(os.Getpid())+"\n", string(data))
}

func TestReleaseLeavesAFileNoLongerItsOwn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	l, err := Acquire(path)
	require.NoError(t, err)
	require.NoError(t, os.Remove(path))
	require.NoError(t, os.WriteFile(path, []byte("someone else's\n"), fileMode))
	l.Release()
	data, err := os.ReadFile(path)
	require.NoError(t, err, "Release removed a file it did not lock")
	require.Equal(t, "someone else's\n", string(data))
}

func TestASymbolicLinkIsNotFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	path := filepath.Join(dir, "lock")
	require.NoError(t, os.Symlink(target, path))
	_, err := Acquire(path)
	require.Error(t, err)
	_, err = os.Lstat(target)
	require.True(t, errors.Is(err, os.ErrNotExist), "a file was made through the link")
}

func TestCheckVetsTheFileOpened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	refused := errors.New("not ours")
	_, err := AcquireChecked(path, func(fs.FileInfo) error { return refused })
	require.ErrorIs(t, err, refused)
}
