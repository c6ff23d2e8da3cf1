package worker

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/auth"
	"6.5840/mr/tlsconf"
	"6.5840/mr/tlsconf/tlstest"
	"6.5840/mr/transport"
)

func testSecret(t *testing.T) auth.Secret {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte("0123456789abcdef0123456789abcdef"), 0o600))
	s, err := auth.LoadSecret(path)
	require.NoError(t, err)
	return s
}

// TestServeAdvertisesAnAddressOthersCanReach: a worker listening on every
// address advertises the one it reaches the coordinator from, never
// 0.0.0.0, which would send other workers to themselves.
// serveConfig returns the config of a worker of the coordinator at addr
// that serves its map output at serve.
func serveConfig(t *testing.T, addr transport.Addr, serve string) Config {
	cfg := DefaultConfig()
	cfg.App, cfg.Dir, cfg.Addr, cfg.Secret, cfg.Serve = letters, t.TempDir(), addr, testSecret(t), serve
	return cfg
}

func TestServeAdvertisesAnAddressOthersCanReach(t *testing.T) {
	// Nothing listens there: finding the route sends nothing.
	coordinator := transport.Addr{Network: "tcp", Address: "127.0.0.1:9"}
	tests := []struct {
		serve    string
		wantHost string
	}{
		{"", "127.0.0.1"},
		{"0.0.0.0:0", "127.0.0.1"},
		{":0", "127.0.0.1"},
		{"localhost:0", "localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.serve, func(t *testing.T) {
			w, err := New(serveConfig(t, coordinator, tt.serve))
			require.NoError(t, err)
			s, err := w.startServing(context.Background())
			require.NoError(t, err)
			defer s.close()
			host, port, err := net.SplitHostPort(s.addr)
			require.NoError(t, err)
			require.Equal(t, tt.wantHost, host)
			require.NotEqual(t, "0", port)
			conn, err := net.Dial("tcp", s.addr)
			require.NoError(t, err, "the advertised address reaches the server")
			conn.Close()
		})
	}
	_, err := New(serveConfig(t, coordinator, "7001"))
	require.ErrorContains(t, err, "missing port")
	require.ErrorContains(t, err, "-serve 7001")
	require.Equal(t, ExitBadConfig, ExitOf(err))
}

func TestServeRefusesACertificateThatDoesNotNameIt(t *testing.T) {
	coordinator := transport.Addr{Network: "tcp", Address: "127.0.0.1:9"}
	files := tlstest.NewCA(t, "job").Issue("elsewhere", "10.9.9.9")
	conf, err := tlsconf.Load(files)
	require.NoError(t, err)
	cfg := serveConfig(t, coordinator, "")
	cfg.TLS = conf
	w, err := New(cfg)
	require.NoError(t, err)
	_, err = w.startServing(context.Background())
	require.ErrorContains(t, err, "-tls-cert "+files.Cert+" does not name 127.0.0.1")
	require.ErrorContains(t, err, "-serve")
}
