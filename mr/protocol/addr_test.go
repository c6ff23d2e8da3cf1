package protocol

import (
	"net"
	"os"
	"path/filepath"
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
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv(AddrEnv, "/from/env.sock")
	a, err := ResolveAddr("/from/flag.sock")
	require.NoError(t, err)
	require.Equal(t, "/from/flag.sock", a.Address)
	a, err = ResolveAddr("")
	require.NoError(t, err)
	require.Equal(t, "/from/env.sock", a.Address)

	t.Setenv(AddrEnv, "")
	a, err = ResolveAddr("")
	require.NoError(t, err)
	require.Equal(t, filepath.Join(runtime, "mapreduce", defaultSocketName), a.Address)
	info, err := os.Stat(filepath.Dir(a.Address))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(privateDirMode), info.Mode().Perm())
}

func TestResolveAddrRefusesOpenDir(t *testing.T) {
	runtime := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", runtime)
	t.Setenv(AddrEnv, "")
	require.NoError(t, os.Mkdir(filepath.Join(runtime, "mapreduce"), 0o777))
	require.NoError(t, os.Chmod(filepath.Join(runtime, "mapreduce"), 0o777))
	_, err := ResolveAddr("")
	require.ErrorContains(t, err, "mode 0700")
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
	_, err = os.Stat(a.Address + lockSuffix)
	require.True(t, os.IsNotExist(err), "the lock file outlived the listener: %v", err)

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
