package shuffle

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/netguard"
)

// quietConns is how many idle connections a stranger opens in the test.
const quietConns = 300

// quietWait bounds how long the test waits for the server to close the
// connections past its cap.
const quietWait = 2 * time.Second

// TestServerCapsQuietConnections: connections that never send a request
// are not all held: past ServerMaxQuiet the oldest are closed.
func TestServerCapsQuietConnections(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := NewServer(http.NotFoundHandler())
	go srv.Serve(l)
	defer srv.Close()

	conns := make([]net.Conn, quietConns)
	for i := range conns {
		conns[i], err = net.Dial("tcp", l.Addr().String())
		require.NoError(t, err)
		defer conns[i].Close()
	}
	var mu sync.Mutex
	closed := 0
	var wg sync.WaitGroup
	deadline := time.Now().Add(quietWait)
	for _, c := range conns {
		wg.Go(func() {
			c.SetReadDeadline(deadline)
			_, err := c.Read(make([]byte, 1))
			if errors.Is(err, io.EOF) {
				mu.Lock()
				closed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, quietConns-ServerMaxQuiet, closed, "got %d quiet connections held", quietConns-closed)
}

// TestHandlerRateLimitsRefusalLogs: a stranger's bad requests cost a
// few log lines a second, with a count of those left out.
func TestHandlerRateLimitsRefusalLogs(t *testing.T) {
	var logs bytes.Buffer
	h, err := NewHandler(HandlerConfig{
		Key:    testKey,
		Job:    testJob,
		Lookup: func(int, int) (string, bool) { return "", false },
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	require.NoError(t, err)
	for range 100 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, Path+"?job=x", nil))
	}
	require.Equal(t, netguard.LogBurst, strings.Count(logs.String(), "refused"), logs.String())
}
