package status

import (
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/auth"
)

func TestDebugAccess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, []byte("0123456789abcdef0123"), 0o600))
	secret, err := auth.LoadSecret(path)
	require.NoError(t, err)
	token := hex.EncodeToString(secret.Key(auth.PurposeDebug))
	request := func(tok string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, "/debug/pprof/cmdline", nil)
		require.NoError(t, err)
		if tok != "" {
			r.Header.Set(DebugTokenHeader, tok)
		}
		return r
	}
	loopback := &net.TCPAddr{IP: net.IPv6loopback, Port: 8080}
	network := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 8080}

	require.Nil(t, DebugAccess(loopback, secret), "open on loopback")
	require.Nil(t, DebugAccess(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, auth.Secret{}), "open on loopback, secret or not")

	closed := DebugAccess(network, auth.Secret{})
	require.NotNil(t, closed)
	require.False(t, closed(request(token)), "no secret: closed to all")

	guarded := DebugAccess(network, secret)
	require.True(t, guarded(request(token)))
	require.False(t, guarded(request("")))
	require.False(t, guarded(request(token[:len(token)-1])))
	require.False(t, guarded(request(hex.EncodeToString([]byte("0123456789abcdef0123")))), "the secret itself is not the token")
}
