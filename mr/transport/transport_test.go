package transport

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/auth"
)

// testSecret writes a secret file and loads it.
func testSecret(t *testing.T) auth.Secret {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte("a test secret of enough bytes to pass, 0123456789abcdef"), 0o600))
	s, err := auth.LoadSecret(path)
	require.NoError(t, err)
	return s
}

// TestDialBusyCoordinator: a coordinator that closes a connection at once
// (its handshake slots are taken) is reported busy, not as one that may
// use TLS.
func TestDialBusyCoordinator(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	a := Addr{Network: "tcp", Address: l.Addr().String()}
	_, err = Dial(context.Background(), a, testSecret(t), nil)
	require.ErrorIs(t, err, ErrBusy)
	require.NotContains(t, err.Error(), "TLS")
}
