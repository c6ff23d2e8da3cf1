package status

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// get fetches path from h and returns the response and its body.
func get(t *testing.T, h http.Handler, method, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestHandlerRoutes(t *testing.T) {
	h := NewHandler(fixture, nil)
	for _, tc := range []struct {
		method, path string
		status       int
		contentType  string
		contains     string
	}{
		{http.MethodGet, "/", http.StatusOK, "text/html; charset=utf-8", "<svg"},
		{http.MethodGet, "/status.json", http.StatusOK, "application/json", `"n_reduce": 10`},
		{http.MethodGet, "/debug/vars", http.StatusOK, "application/json; charset=utf-8", `"memstats"`},
		{http.MethodGet, "/debug/pprof/", http.StatusOK, "text/html; charset=utf-8", "goroutine"},
		{http.MethodGet, "/debug/pprof/goroutine?debug=1", http.StatusOK, "text/plain; charset=utf-8", "goroutine profile"},
		{http.MethodGet, "/debug/pprof/cmdline", http.StatusOK, "text/plain; charset=utf-8", ""},
		{http.MethodGet, "/debug/pprof/symbol", http.StatusOK, "text/plain; charset=utf-8", "num_symbols"},
		{http.MethodGet, "/nope", http.StatusNotFound, "", "404"},
		{http.MethodGet, "/index.html", http.StatusNotFound, "", "404"},
		{http.MethodGet, "/status.json/extra", http.StatusNotFound, "", "404"},
		{http.MethodPost, "/", http.StatusMethodNotAllowed, "", ""},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := get(t, h, tc.method, tc.path)
			require.Equal(t, tc.status, resp.StatusCode, body)
			if tc.contentType != "" {
				require.Equal(t, tc.contentType, resp.Header.Get("Content-Type"))
			}
			require.Contains(t, body, tc.contains)
		})
	}
}

func TestHandlerPage(t *testing.T) {
	resp, body := get(t, NewHandler(fixture, nil), http.MethodGet, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	for _, want := range []string{
		`<meta http-equiv="refresh" content="2">`,
		`<td class="num">1</td><td>host-a</td><td>shared folder</td><td class="num">101</td>`,
		`<td class="num">2</td><td>host-b</td><td>10.0.0.2:7001</td><td class="num">202</td>`,
		`<td class="num">3</td><td>host-c</td><td>shared folder</td><td class="num">303</td>`,
		"worker 1", "worker 2", "worker 3", // timeline rows
		"8/8", "3/10 (1 running)",
		"<svg",
	} {
		require.Contains(t, body, want)
	}
}

func TestHandlerJSONRoundTrip(t *testing.T) {
	want := fixture()
	resp, body := get(t, NewHandler(fixture, nil), http.MethodGet, "/status.json")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "\n  \"job\": {", "indented")
	var got Snapshot
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	require.Equal(t, want.Maps, got.Maps)
	require.Equal(t, want.Reduces, got.Reduces)
	require.Len(t, got.Workers, len(want.Workers))
	require.Len(t, got.Tasks, len(want.Tasks))
	require.Len(t, got.Attempts, len(want.Attempts))
	require.Equal(t, want.Counters, got.Counters)
	require.Equal(t, want, got)
}

func TestHandlerCallsSourcePerRequest(t *testing.T) {
	var calls atomic.Int32
	h := NewHandler(func() Snapshot {
		s := fixture()
		s.Maps.Done = int(calls.Add(1))
		return s
	}, nil)
	for want := 1; want <= 3; want++ {
		_, body := get(t, h, http.MethodGet, "/status.json")
		var got Snapshot
		require.NoError(t, json.Unmarshal([]byte(body), &got))
		require.Equal(t, want, got.Maps.Done, "fresh snapshot on every request")
	}
	_, body := get(t, h, http.MethodGet, "/")
	require.Contains(t, body, "4/8")
}

func TestHandlerDebugVarsIsJSON(t *testing.T) {
	_, body := get(t, NewHandler(fixture, nil), http.MethodGet, "/debug/vars")
	var vars map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &vars))
	require.Contains(t, vars, "cmdline")
}

func TestHandlerDebugPagesOnlyWhenAllowed(t *testing.T) {
	h := NewHandler(fixture, func(r *http.Request) bool { return r.Header.Get("X-Allow") == "yes" })
	for _, path := range []string{"/debug/vars", "/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/symbol"} {
		resp, _ := get(t, h, http.MethodGet, path)
		require.Equal(t, http.StatusForbidden, resp.StatusCode, path)
	}
	req := httptest.NewRequest(http.MethodGet, "/debug/pprof/cmdline", nil)
	req.Header.Set("X-Allow", "yes")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	resp, _ := get(t, h, http.MethodGet, "/status.json")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the status itself is not a debug page")
}
