package status

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// guardToken stands for the debug token the coordinator derives from the
// job's secret.
const guardToken = "5c1a3f0e9b7d42c8a6e0f3b1d9c7a5e3f1b9d7c5a3e1f0b8d6c4a2e0f8b6d4c2"

// TestProgressViewOffLoopback: a status page in clear on a non-loopback
// address shows strangers counts only; loopback clients and holders of
// the debug token see the details.
func TestProgressViewOffLoopback(t *testing.T) {
	detailed := func() Snapshot {
		s := fixture()
		s.Job.State, s.Job.Error = JobFailed, "input /data/secret-plans.txt failed"
		s.Job.Skipped = []string{"/data/skipped.txt"}
		return s
	}
	private := []string{"host-a", "10.0.0.2:7001", "secret-plans", "skipped.txt", "permission denied"}
	server := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 8080}
	h := NewGuardedHandler(detailed, DebugAccess(server, guardToken), DetailAccess(server, guardToken, false))
	fetch := func(path, remote, token string) string {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.RemoteAddr = remote
		if token != "" {
			r.Header.Set(DebugTokenHeader, token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		require.Equal(t, http.StatusOK, rec.Code)
		return rec.Body.String()
	}
	for _, path := range []string{"/", "/status.json"} {
		stranger := fetch(path, "192.0.2.99:5555", "")
		for _, p := range private {
			require.NotContains(t, stranger, p, "%s shows a stranger %q", path, p)
		}
		require.Contains(t, stranger, "failed", "%s shows the job's state", path)
		wrong := fetch(path, "192.0.2.99:5555", "00ff")
		require.NotContains(t, wrong, "host-a")
		for _, insider := range []string{fetch(path, "127.0.0.1:5555", ""), fetch(path, "192.0.2.99:5555", guardToken)} {
			for _, p := range private[:3] {
				require.Contains(t, insider, p, "%s hides %q from an insider", path, p)
			}
		}
	}
	require.Nil(t, DetailAccess(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}, guardToken, false), "all details on loopback")
	require.Nil(t, DetailAccess(server, guardToken, true), "all details over TLS")
}

func TestCachedTakesOneSnapshotPerMaxAge(t *testing.T) {
	calls := 0
	source := func() Snapshot {
		calls++
		return Snapshot{Job: Job{Inputs: calls}}
	}
	now := time.Unix(1000, 0)
	c := &cache{source: source, maxAge: time.Second, now: func() time.Time { return now }}
	for range 100 {
		require.Equal(t, 1, c.get().Job.Inputs)
	}
	now = now.Add(time.Second)
	require.Equal(t, 2, c.get().Job.Inputs)
	require.Equal(t, 2, calls)
}
