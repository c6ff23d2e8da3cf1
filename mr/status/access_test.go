package status

import (
	"net"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDebugAccess(t *testing.T) {
	const token = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
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

	require.Nil(t, DebugAccess(loopback, token), "open on loopback")
	require.Nil(t, DebugAccess(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, ""), "open on loopback, token or not")

	closed := DebugAccess(network, "")
	require.NotNil(t, closed)
	require.False(t, closed(request(token)), "no token: closed to all")
	require.False(t, closed(request("")), "no token: an empty header opens it")

	guarded := DebugAccess(network, token)
	require.True(t, guarded(request(token)))
	require.False(t, guarded(request("")))
	require.False(t, guarded(request(token[:len(token)-1])))
	require.False(t, guarded(request(token+"0")))
}
