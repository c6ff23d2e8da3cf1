package flock

import (
	"errors"
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
