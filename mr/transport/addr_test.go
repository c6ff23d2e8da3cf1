package transport

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in      string
		want    Addr
		wantErr bool
	}{
		{"/tmp/x/mr.sock", Addr{"unix", "/tmp/x/mr.sock"}, false},
		{"rel.sock", Addr{"unix", "rel.sock"}, false},
		{"tcp:127.0.0.1:0", Addr{"tcp", "127.0.0.1:0"}, false},
		{"tcp:nonsense", Addr{}, true},
		{"", Addr{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAddr(tt.in)
		if tt.wantErr {
			require.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got)
		require.Equal(t, tt.in, got.String())
	}
}

func TestResolveAddrPrecedence(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(AddrEnv, "/from/env.sock")
	a, err := resolveAddr("/from/flag.sock", dir)
	require.NoError(t, err)
	require.Equal(t, "/from/flag.sock", a.Address)
	a, err = resolveAddr("", dir)
	require.NoError(t, err)
	require.Equal(t, "/from/env.sock", a.Address)

	t.Setenv(AddrEnv, "")
	a, err = resolveAddr("", dir)
	require.NoError(t, err)
	require.Equal(t, Addr{"unix", filepath.Join(dir, "5840-mr-"+strconv.Itoa(os.Getuid()))}, a)
	_, err = os.Lstat(a.Address)
	require.True(t, os.IsNotExist(err), "resolving the address made a file: %v", err)
}

// TestResolveAddrDefaultIsTheLabs checks the name only: scripts written
// for the lab look for /var/tmp/5840-mr-UID.
func TestResolveAddrDefaultIsTheLabs(t *testing.T) {
	t.Setenv(AddrEnv, "")
	a, err := ResolveAddr("")
	require.NoError(t, err)
	require.Equal(t, Addr{"unix", "/var/tmp/5840-mr-" + strconv.Itoa(os.Getuid())}, a)
}

func TestListenPrivateSocketAndStaleCleanup(t *testing.T) {
	a := Addr{"unix", filepath.Join(t.TempDir(), "mr.sock")}
	l, err := Listen(a)
	require.NoError(t, err)
	info, err := os.Stat(a.Address)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(socketMode), info.Mode().Perm())

	_, err = Listen(a)
	require.ErrorIs(t, err, ErrInUse)
	require.NoError(t, l.Close())
	_, err = os.Lstat(a.Address + lockSuffix)
	require.True(t, os.IsNotExist(err), "the lock file outlived the listener: %v", err)
	_, err = os.Lstat(a.Address)
	require.True(t, os.IsNotExist(err), "the socket outlived the listener: %v", err)

	// A crashed coordinator leaves its socket file (and its lock file,
	// unlocked) behind.
	stale, err := net.Listen("unix", a.Address)
	require.NoError(t, err)
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	require.NoError(t, stale.Close())
	require.NoError(t, os.WriteFile(a.Address+lockSuffix, nil, 0o600))
	l, err = Listen(a)
	require.NoError(t, err, "stale socket must be replaced")
	require.NoError(t, l.Close())
}

// TestListenRaceHasOneWinner starts many listeners on one stale address
// at once: exactly one may win, and its socket must be the one that
// answers (a loser must never remove the winner's socket).
func TestListenRaceHasOneWinner(t *testing.T) {
	for round := range 20 {
		a := Addr{"unix", filepath.Join(t.TempDir(), "mr.sock")}
		stale, err := net.Listen("unix", a.Address)
		require.NoError(t, err)
		stale.(*net.UnixListener).SetUnlinkOnClose(false)
		require.NoError(t, stale.Close())

		const contenders = 8
		type result struct {
			l   net.Listener
			err error
		}
		results := make(chan result, contenders)
		var wg sync.WaitGroup
		for range contenders {
			wg.Go(func() {
				l, err := Listen(a)
				results <- result{l, err}
			})
		}
		wg.Wait()
		close(results)
		var winners []net.Listener
		for r := range results {
			if r.err != nil {
				require.ErrorIs(t, r.err, ErrInUse)
				continue
			}
			winners = append(winners, r.l)
		}
		require.Len(t, winners, 1, "round %d", round)
		go func() {
			if conn, err := winners[0].Accept(); err == nil {
				conn.Close()
			}
		}()
		conn, err := net.Dial("unix", a.Address)
		require.NoError(t, err, "round %d: the winner's socket is gone", round)
		conn.Close()
		require.NoError(t, winners[0].Close())
	}
}
