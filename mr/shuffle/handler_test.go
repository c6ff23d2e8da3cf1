package shuffle

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testNow is the server's clock in handler tests.
var testNow = time.Unix(1_700_000_000, 0)

var committed = output{mapTask: 3, attempt: 1}

// goodRequest asks for section 2 of committed.
var goodRequest = request{job: testJob, mapTask: committed.mapTask, attempt: committed.attempt, reduce: 2}

// newTestWorker returns a worker holding committed, with its clock at
// testNow.
func newTestWorker(t *testing.T, key []byte) *worker {
	w := newWorker(t, key, committed)
	w.handler.now = func() time.Time { return testNow }
	return w
}

// withQuery returns r with its raw query replaced.
func withQuery(r *http.Request, raw string) *http.Request {
	r.URL.RawQuery = raw
	return r
}

func TestHandlerStatus(t *testing.T) {
	now := testNow.Unix()
	skew := int64(MaxSkew / time.Second)
	good := func() *http.Request { return signedRequest(testKey, goodRequest, now) }
	// replayed returns the good request's headers on a request for other.
	replayed := func(other request) func() *http.Request {
		return func() *http.Request {
			r := signedRequest(testKey, other, now)
			r.Header = good().Header
			return r
		}
	}
	with := func(change func(*request)) request {
		r := goodRequest
		change(&r)
		return r
	}
	// signedQuery returns a request with the raw query, signed as the
	// good request: the query is refused before any signature check.
	signedQuery := func(raw string) func() *http.Request {
		return func() *http.Request { return withQuery(good(), raw) }
	}
	tests := []struct {
		name string
		req  func() *http.Request
		want int
	}{
		{"good", good, http.StatusOK},
		{"query in another order", signedQuery("reduce=2&attempt=1&map=3&job=" + testJob), http.StatusOK},
		{"time within skew ahead", func() *http.Request { return signedRequest(testKey, goodRequest, now+skew) }, http.StatusOK},
		{"time within skew behind", func() *http.Request { return signedRequest(testKey, goodRequest, now-skew) }, http.StatusOK},

		{"unsigned", func() *http.Request { return httptest.NewRequest(http.MethodGet, Path+"?"+goodRequest.query(), nil) }, http.StatusUnauthorized},
		{"no time", func() *http.Request { r := good(); r.Header.Del(HeaderTime); return r }, http.StatusUnauthorized},
		{"no signature", func() *http.Request { r := good(); r.Header.Del(HeaderSignature); return r }, http.StatusUnauthorized},

		{"another key", func() *http.Request { return signedRequest(otherKey, goodRequest, now) }, http.StatusForbidden},
		{"replayed for another map", replayed(with(func(r *request) { r.mapTask = 4 })), http.StatusForbidden},
		{"replayed for another attempt", replayed(with(func(r *request) { r.attempt = 2 })), http.StatusForbidden},
		{"replayed for another reduce", replayed(with(func(r *request) { r.reduce = 1 })), http.StatusForbidden},
		{"replayed for another job", replayed(with(func(r *request) { r.job = "job-8" })), http.StatusForbidden},
		{"replayed at another time", func() *http.Request { r := good(); r.Header.Set(HeaderTime, strconv.FormatInt(now+1, 10)); return r }, http.StatusForbidden},
		{"signed for another job", func() *http.Request {
			return signedRequest(testKey, with(func(r *request) { r.job = "job-8" }), now)
		}, http.StatusForbidden},
		{"time too far ahead", func() *http.Request { return signedRequest(testKey, goodRequest, now+skew+1) }, http.StatusForbidden},
		{"time too far behind", func() *http.Request { return signedRequest(testKey, goodRequest, now-skew-1) }, http.StatusForbidden},
		{"time with a sign", func() *http.Request { r := good(); r.Header.Set(HeaderTime, "+"+strconv.FormatInt(now, 10)); return r }, http.StatusForbidden},
		{"time with a leading zero", func() *http.Request { r := good(); r.Header.Set(HeaderTime, "0"+strconv.FormatInt(now, 10)); return r }, http.StatusForbidden},
		{"signature in upper case", func() *http.Request {
			r := good()
			r.Header.Set(HeaderSignature, strings.ToUpper(r.Header.Get(HeaderSignature)))
			return r
		}, http.StatusForbidden},
		{"signature twice", func() *http.Request {
			r := good()
			r.Header.Add(HeaderSignature, r.Header.Get(HeaderSignature))
			return r
		}, http.StatusForbidden},
		{"signature truncated", func() *http.Request {
			r := good()
			r.Header.Set(HeaderSignature, r.Header.Get(HeaderSignature)[:MACSize])
			return r
		}, http.StatusForbidden},

		{"map with a leading zero", signedQuery("job=" + testJob + "&map=01&attempt=1&reduce=2"), http.StatusBadRequest},
		{"negative map", signedQuery("job=" + testJob + "&map=-1&attempt=1&reduce=2"), http.StatusBadRequest},
		{"map with a plus", signedQuery("job=" + testJob + "&map=%2B3&attempt=1&reduce=2"), http.StatusBadRequest},
		{"map too large", signedQuery("job=" + testJob + "&map=2147483648&attempt=1&reduce=2"), http.StatusBadRequest},
		{"empty reduce", signedQuery("job=" + testJob + "&map=3&attempt=1&reduce="), http.StatusBadRequest},
		{"map twice", signedQuery("job=" + testJob + "&map=3&map=3&attempt=1&reduce=2"), http.StatusBadRequest},
		{"job twice", signedQuery("job=" + testJob + "&job=" + testJob + "&map=3&attempt=1&reduce=2"), http.StatusBadRequest},
		{"no reduce", signedQuery("job=" + testJob + "&map=3&attempt=1"), http.StatusBadRequest},
		{"extra parameter", signedQuery(goodRequest.query() + "&path=/etc/passwd"), http.StatusBadRequest},
		{"semicolon", signedQuery("job=" + testJob + ";map=3&attempt=1&reduce=2"), http.StatusBadRequest},

		{"uncommitted attempt", func() *http.Request {
			return signedRequest(testKey, with(func(r *request) { r.attempt = 2 }), now)
		}, http.StatusNotFound},
		{"unknown map", func() *http.Request {
			return signedRequest(testKey, with(func(r *request) { r.mapTask = 9 }), now)
		}, http.StatusNotFound},
		{"reduce out of range", func() *http.Request {
			return signedRequest(testKey, with(func(r *request) { r.reduce = testSectionsPerMO }), now)
		}, http.StatusNotFound},

		{"POST", func() *http.Request { r := good(); r.Method = http.MethodPost; return r }, http.StatusMethodNotAllowed},
		{"HEAD", func() *http.Request { r := good(); r.Method = http.MethodHead; return r }, http.StatusMethodNotAllowed},
		{"PUT", func() *http.Request { r := good(); r.Method = http.MethodPut; return r }, http.StatusMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWorker(t, testKey)
			rec := httptest.NewRecorder()
			w.handler.ServeHTTP(rec, tc.req())
			require.Equal(t, tc.want, rec.Code, "body %q", rec.Body.String())
			lookups, opened := w.record(t)
			switch tc.want {
			case http.StatusOK:
				require.Len(t, opened, 1)
			case http.StatusUnauthorized, http.StatusForbidden, http.StatusBadRequest, http.StatusMethodNotAllowed:
				require.Empty(t, lookups, "Lookup called for a refused request")
				require.Empty(t, opened)
			}
		})
	}
}

func TestHandlerOtherPaths(t *testing.T) {
	paths := []string{
		"/",
		"/v1/",
		"/v1",
		"/v1/map-output/",
		"/v1/map-output/../../etc/passwd",
		"/v1/map-output/..%2f..%2fetc%2fpasswd",
		"/v1/%2e%2e/",
		"/v1/%2e%2e/v1/map-output",
		"/v1/map%2Doutput",
		"/v1/./map-output",
		"/v1//map-output",
		"/V1/MAP-OUTPUT",
		"/debug/pprof/",
		"/debug/vars",
		"/mo-3-1",
		"/etc/passwd",
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			w := newTestWorker(t, testKey)
			r := signedRequest(testKey, goodRequest, testNow.Unix())
			target := httptest.NewRequest(http.MethodGet, path+"?"+goodRequest.query(), nil)
			r.URL, r.RequestURI = target.URL, target.RequestURI
			rec := httptest.NewRecorder()
			w.handler.ServeHTTP(rec, r)
			require.Equal(t, http.StatusNotFound, rec.Code)
			lookups, opened := w.record(t)
			require.Empty(t, lookups)
			require.Empty(t, opened)
		})
	}

	// The same over the wire, where no client or server cleans the path
	// on the way; and with every method.
	w := newTestWorker(t, testKey)
	addr := serve(t, w.handler)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	for _, path := range paths {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			r, err := http.NewRequest(method, "http://"+addr+path, nil)
			require.NoError(t, err)
			r.Header = signedRequest(testKey, goodRequest, testNow.Unix()).Header
			resp, err := transport.RoundTrip(r)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusNotFound, resp.StatusCode, "%s %s", method, path)
		}
	}
	lookups, opened := w.record(t)
	require.Empty(t, lookups)
	require.Empty(t, opened)
}

func TestHandlerReply(t *testing.T) {
	w := newTestWorker(t, testKey)
	for r := range testSectionsPerMO {
		req := goodRequest
		req.reduce = r
		hreq := signedRequest(testKey, req, testNow.Unix())
		sig := hreq.Header.Get(HeaderSignature)
		rec := httptest.NewRecorder()
		w.handler.ServeHTTP(rec, hreq)

		require.Equal(t, http.StatusOK, rec.Code)
		want := expectedBody(testKey, sig, w.sections[committed][r])
		require.Equal(t, want, rec.Body.Bytes(), "section %d", r)
		require.Equal(t, strconv.Itoa(len(want)), rec.Header().Get("Content-Length"))
		require.Equal(t, "application/octet-stream", rec.Header().Get("Content-Type"))
		require.Equal(t, signReply(testKey, sig), rec.Header().Get(HeaderReplySignature))
	}
}

func TestHandlerUnservableFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"removed", func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) }},
		{"truncated", func(t *testing.T, path string) { require.NoError(t, os.Truncate(path, 10)) }},
		{"index damaged", func(t *testing.T, path string) {
			info, err := os.Stat(path)
			require.NoError(t, err)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			require.NoError(t, err)
			defer f.Close()
			_, err = f.WriteAt([]byte{0xff}, info.Size()-12)
			require.NoError(t, err)
		}},
		{"a directory", func(t *testing.T, path string) {
			require.NoError(t, os.Remove(path))
			require.NoError(t, os.Mkdir(path, 0o755))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newTestWorker(t, testKey)
			tc.damage(t, w.paths[committed])
			rec := httptest.NewRecorder()
			w.handler.ServeHTTP(rec, signedRequest(testKey, goodRequest, testNow.Unix()))
			require.Equal(t, http.StatusNotFound, rec.Code)
			require.Contains(t, w.logs.String(), "level=ERROR")
		})
	}
}

func TestHandlerNeverLogsSecrets(t *testing.T) {
	w := newTestWorker(t, testKey)
	now := testNow.Unix()
	var sigs []string
	send := func(r *http.Request) {
		sigs = append(sigs, r.Header.Get(HeaderSignature))
		w.handler.ServeHTTP(httptest.NewRecorder(), r)
	}
	send(signedRequest(testKey, goodRequest, now))
	send(signedRequest(otherKey, goodRequest, now))
	send(signedRequest(testKey, goodRequest, now+int64(time.Hour/time.Second)))
	send(signedRequest(testKey, request{job: "job-8", mapTask: 3, attempt: 1, reduce: 2}, now))
	send(signedRequest(testKey, request{job: testJob, mapTask: 3, attempt: 2, reduce: 2}, now))
	send(withQuery(signedRequest(testKey, goodRequest, now), "map=01"))
	r := signedRequest(testKey, goodRequest, now)
	r.Header.Set(HeaderSignature, strings.Repeat("ab", MACSize))
	send(r)

	logs := w.logs.String()
	require.Contains(t, logs, "remote=192.0.2.1:1234")
	for _, reason := range []string{"bad signature", "off the server's clock", `job \"job-8\"`, "bad query", "unknown map output"} {
		require.Contains(t, logs, reason)
	}
	secrets := []string{string(testKey), hex.EncodeToString(testKey), base64.StdEncoding.EncodeToString(testKey), string(otherKey)}
	for _, sig := range sigs {
		secrets = append(secrets, sig, sig[:16], signReply(testKey, sig))
	}
	for _, s := range secrets {
		require.NotContains(t, logs, s)
	}
}

func TestNewHandlerValidates(t *testing.T) {
	lookup := func(int, int) (string, bool) { return "", false }
	tests := []struct {
		name string
		cfg  HandlerConfig
	}{
		{"no key", HandlerConfig{Job: testJob, Lookup: lookup}},
		{"short key", HandlerConfig{Key: testKey[:MinKeySize-1], Job: testJob, Lookup: lookup}},
		{"no job", HandlerConfig{Key: testKey, Lookup: lookup}},
		{"no lookup", HandlerConfig{Key: testKey, Job: testJob}},
		{"negative timeout", HandlerConfig{Key: testKey, Job: testJob, Lookup: lookup, WriteIdleTimeout: -time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewHandler(tc.cfg)
			require.Error(t, err)
		})
	}
	_, err := NewHandler(HandlerConfig{Key: testKey, Job: testJob, Lookup: lookup})
	require.NoError(t, err)
}

func TestNewServerLimits(t *testing.T) {
	s := NewServer(http.NotFoundHandler())
	require.Positive(t, s.ReadHeaderTimeout)
	require.Positive(t, s.IdleTimeout)
	require.Positive(t, s.MaxHeaderBytes)
	require.LessOrEqual(t, s.MaxHeaderBytes, 64<<10)
	require.Zero(t, s.WriteTimeout, "a write timeout caps the section size")
}
