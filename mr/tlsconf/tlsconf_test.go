package tlsconf_test

import (
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/auth"
	"6.5840/mr/tlsconf"
	"6.5840/mr/tlsconf/tlstest"
)

func TestLoadNothingIsNoTLS(t *testing.T) {
	c, err := tlsconf.Load(tlsconf.Files{})
	require.NoError(t, err)
	require.Nil(t, c)
}

func TestLoadRefusals(t *testing.T) {
	ca := tlstest.NewCA(t, "job")
	good := ca.Issue("host", "127.0.0.1")
	other := tlstest.NewCA(t, "other").Issue("stranger", "127.0.0.1")
	fifo := filepath.Join(t.TempDir(), "fifo.pem")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	notPEM := filepath.Join(t.TempDir(), "not.pem")
	require.NoError(t, os.WriteFile(notPEM, []byte("hello"), 0o600))
	openKey := filepath.Join(t.TempDir(), "open-key.pem")
	data, err := os.ReadFile(good.Key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(openKey, data, 0o644))

	tests := []struct {
		name  string
		files tlsconf.Files
		want  []string
	}{
		{"no key", tlsconf.Files{Cert: good.Cert, CA: good.CA}, []string{"go together", "-tls-key is missing"}},
		{"no CA", tlsconf.Files{Cert: good.Cert, Key: good.Key}, []string{"-tls-ca is missing"}},
		{"no cert", tlsconf.Files{Key: good.Key, CA: good.CA}, []string{"-tls-cert is missing"}},
		{"missing cert file", tlsconf.Files{Cert: good.Cert + ".gone", Key: good.Key, CA: good.CA}, []string{"-tls-cert", good.Cert + ".gone"}},
		{"key readable by others", tlsconf.Files{Cert: good.Cert, Key: openKey, CA: good.CA}, []string{"-tls-key", openKey, "chmod 600"}},
		{"key of another cert", tlsconf.Files{Cert: good.Cert, Key: other.Key, CA: good.CA}, []string{"-tls-cert " + good.Cert, "-tls-key " + other.Key}},
		{"cert is a named pipe", tlsconf.Files{Cert: fifo, Key: good.Key, CA: good.CA}, []string{"-tls-cert", fifo, "not a regular file"}},
		{"CA is a named pipe", tlsconf.Files{Cert: good.Cert, Key: good.Key, CA: fifo}, []string{"-tls-ca", fifo, "not a regular file"}},
		{"key is a named pipe", tlsconf.Files{Cert: good.Cert, Key: fifo, CA: good.CA}, []string{"-tls-key", fifo, "not a regular file"}},
		{"CA not PEM", tlsconf.Files{Cert: good.Cert, Key: good.Key, CA: notPEM}, []string{"-tls-ca " + notPEM, "no PEM certificate"}},
		{"cert of another CA", tlsconf.Files{Cert: other.Cert, Key: other.Key, CA: good.CA}, []string{"-tls-cert " + other.Cert, "not signed by -tls-ca " + good.CA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tlsconf.Load(tt.files)
			require.Nil(t, c)
			require.Error(t, err)
			for _, w := range tt.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
	_, err = tlsconf.Load(tlsconf.Files{Cert: good.Cert, Key: openKey, CA: good.CA})
	require.ErrorIs(t, err, auth.ErrSecretFile)
	_, err = tlsconf.Load(tlsconf.Files{Cert: good.Cert, CA: good.CA})
	require.ErrorIs(t, err, tlsconf.ErrIncomplete)
}

// handshake runs a TLS handshake between a server and a client config
// over loopback TCP and returns the client's and the server's errors.
func handshake(t *testing.T, server, client *tls.Config) (clientErr, serverErr error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	done := make(chan error, 1)
	go func() {
		raw, err := l.Accept()
		if err != nil {
			done <- err
			return
		}
		defer raw.Close()
		conn := tls.Server(raw, server)
		err = conn.Handshake()
		if err == nil {
			// TLS 1.3 checks the client's certificate after the client
			// finishes: read to learn the verdict.
			_, err = conn.Read(make([]byte, 1))
		}
		conn.Close()
		done <- err
	}()
	raw, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	defer raw.Close()
	conn := tls.Client(raw, client)
	clientErr = conn.Handshake()
	if clientErr == nil {
		_, clientErr = conn.Write([]byte("x"))
		if clientErr == nil {
			_, clientErr = conn.Read(make([]byte, 1))
		}
	}
	conn.Close()
	return clientErr, <-done
}

func load(t *testing.T, f tlsconf.Files) *tlsconf.Config {
	t.Helper()
	c, err := tlsconf.Load(f)
	require.NoError(t, err)
	require.NotNil(t, c)
	return c
}

func TestMutualTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "job")
	server := load(t, ca.Issue("coordinator", "127.0.0.1"))
	client := load(t, ca.Issue("worker", "127.0.0.1"))

	t.Run("both signed by the CA", func(t *testing.T) {
		clientErr, serverErr := handshake(t, server.Server(), client.Client("127.0.0.1"))
		require.NoError(t, serverErr, "the server read the client's byte")
		require.ErrorIs(t, clientErr, io.EOF, "the client read the server's clean close")
	})
	t.Run("client from another CA", func(t *testing.T) {
		stranger := load(t, tlstest.NewCA(t, "other").Issue("stranger", "127.0.0.1"))
		// The stranger trusts the job's CA, so that only the server's
		// check of the client is tested.
		cfg := stranger.Client("127.0.0.1")
		cfg.RootCAs = server.Server().ClientCAs
		_, serverErr := handshake(t, server.Server(), cfg)
		require.ErrorContains(t, serverErr, "certificate")
	})
	t.Run("client without a certificate", func(t *testing.T) {
		cfg := client.Client("127.0.0.1")
		cfg.Certificates = nil
		_, serverErr := handshake(t, server.Server(), cfg)
		require.ErrorContains(t, serverErr, "certificate")
	})
	t.Run("page server asks no certificate", func(t *testing.T) {
		cfg := client.Client("127.0.0.1")
		cfg.Certificates = nil
		clientErr, serverErr := handshake(t, server.PageServer(), cfg)
		require.NoError(t, serverErr)
		require.ErrorIs(t, clientErr, io.EOF)
	})
	t.Run("server not named for the host dialled", func(t *testing.T) {
		elsewhere := load(t, ca.Issue("elsewhere", "10.0.0.1", "elsewhere.example"))
		clientErr, _ := handshake(t, elsewhere.Server(), client.Client("127.0.0.1"))
		require.ErrorContains(t, clientErr, "127.0.0.1")
	})
	t.Run("server from another CA", func(t *testing.T) {
		stranger := load(t, tlstest.NewCA(t, "other").Issue("stranger", "127.0.0.1"))
		clientErr, _ := handshake(t, stranger.Server(), client.Client("127.0.0.1"))
		require.ErrorContains(t, clientErr, "unknown authority")
	})
}
