package shuffle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/tlsconf"
	"6.5840/mr/tlsconf/tlstest"
)

// stallSafety is how long a stalled test server waits at most, so that a
// broken idle timeout fails its test instead of hanging it.
const stallSafety = 10 * time.Second

// bigSection is the section of committed that spans several blocks.
const bigSection = 2

func TestFetchRoundTrip(t *testing.T) {
	outputs := []output{{3, 1}, {4, 0}, {5, 2}}
	w := newWorker(t, testKey, outputs...)
	addr := serve(t, w.handler)
	f := newTestFetcher(t, nil)
	var total int64
	for _, o := range outputs {
		for r := range testSectionsPerMO {
			var buf bytes.Buffer
			n, err := f.Fetch(t.Context(), addr, o.mapTask, o.attempt, r, &buf)
			require.NoError(t, err)
			want := w.sections[o][r]
			require.Equal(t, want, buf.Bytes(), "map %d attempt %d section %d", o.mapTask, o.attempt, r)
			require.Equal(t, int64(len(want)), n)
			total += n
		}
	}
	count := int64(len(outputs) * testSectionsPerMO)
	require.Equal(t, Stats{Requests: count, Fetched: count, Bytes: total}, f.Stats())
	_, opened := w.record(t)
	require.Len(t, opened, int(count))
}

// replyChange changes a reply of the real handler: its header, and its
// body, which it returns.
type replyChange func(r *http.Request, h http.Header, body []byte) []byte

// tamper serves the replies of h changed by change, for the first reply
// only if firstOnly.
func tamper(h http.Handler, firstOnly bool, change replyChange) http.Handler {
	var replies atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if replies.Add(1) == 1 || !firstOnly {
			body = change(r, rec.Header(), bytes.Clone(body))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

// flipAt returns a change that flips a bit of the body at i, counted
// from the end if negative.
func flipAt(i int) replyChange {
	return func(_ *http.Request, _ http.Header, body []byte) []byte {
		if i < 0 {
			i += len(body)
		}
		body[i] ^= 1
		return body
	}
}

// setLength sets the Content-Length of a reply to n.
func setLength(h http.Header, n int) { h.Set("Content-Length", strconv.Itoa(n)) }

// status returns a handler that answers every request with code.
func status(code int) func(*testing.T, *worker) http.Handler {
	return func(*testing.T, *worker) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if code/100 == 3 {
				w.Header().Set("Location", "http://192.0.2.1/")
			}
			http.Error(w, http.StatusText(code), code)
		})
	}
}

// changed returns a server of w's replies changed by change.
func changed(change replyChange) func(*testing.T, *worker) http.Handler {
	return func(_ *testing.T, w *worker) http.Handler { return tamper(w.handler, false, change) }
}

// stall returns a server that sends the headers and the first half of
// the body of w's reply, then stops until the client goes away.
func stall(t *testing.T, w *worker) http.Handler {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		w.handler.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		rw.Write(rec.Body.Bytes()[:rec.Body.Len()/2])
		http.NewResponseController(rw).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(stallSafety):
		}
	})
}

// silent returns a server that reads requests and never answers.
func silent(t *testing.T, _ *worker) http.Handler {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		case <-time.After(stallSafety):
		}
	})
}

// impostor serves sections like the handler, without checking requests,
// signing with a key that is not the job's.
func impostor(_ *testing.T, w *worker) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		req, err := parseQuery(r.URL.RawQuery)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		sig := r.Header.Get(HeaderSignature)
		body := expectedBody(otherKey, sig, w.sections[output{req.mapTask, req.attempt}][req.reduce])
		rw.Header().Set(HeaderReplySignature, signReply(otherKey, sig))
		setLength(rw.Header(), len(body))
		rw.Write(body)
	})
}

func TestFetchErrors(t *testing.T) {
	tests := []struct {
		name   string
		server func(*testing.T, *worker) http.Handler
		// key is the worker's key; nil means testKey.
		key     []byte
		attempt int
		want    error
		// also is another error the result must wrap.
		also error
	}{
		{name: "section byte flipped", server: changed(flipAt(len(magicPrefix) + 100)), want: ErrDamaged},
		{name: "section header flipped", server: changed(flipAt(0)), want: ErrDamaged},
		{name: "trailer flipped", server: changed(flipAt(-MACSize - 1)), want: ErrDamaged},
		{name: "MAC flipped", server: changed(flipAt(-1)), want: ErrDamaged},
		{name: "another intact section, same MAC", server: changed(func(r *http.Request, h http.Header, body []byte) []byte {
			// Checksums cannot tell: only the MAC can.
			forged := append(sectionBytes(t, output{3, 1}, 4), body[len(body)-MACSize:]...)
			setLength(h, len(forged))
			return forged
		}), want: ErrDamaged},
		{name: "body cut short", server: changed(func(_ *http.Request, _ http.Header, body []byte) []byte {
			return body[:len(body)/2]
		}), want: ErrDamaged},
		{name: "MAC cut short", server: changed(func(_ *http.Request, _ http.Header, body []byte) []byte {
			return body[:len(body)-MACSize/2]
		}), want: ErrDamaged},
		{name: "MAC left out", server: changed(func(_ *http.Request, h http.Header, body []byte) []byte {
			body = body[:len(body)-MACSize]
			setLength(h, len(body))
			return body
		}), want: ErrDamaged},
		{name: "no content length", server: changed(func(_ *http.Request, h http.Header, body []byte) []byte {
			h.Del("Content-Length")
			return body
		}), want: ErrDamaged},
		{name: "no reply signature", server: changed(func(_ *http.Request, h http.Header, body []byte) []byte {
			h.Del(HeaderReplySignature)
			return body
		}), want: ErrUnauthenticated},
		{name: "reply signature of another request", server: changed(func(r *http.Request, h http.Header, body []byte) []byte {
			h.Set(HeaderReplySignature, signReply(testKey, signRequest(testKey, goodRequest, 1)))
			return body
		}), want: ErrUnauthenticated},
		{name: "impostor with another key", server: impostor, want: ErrUnauthenticated},
		{name: "worker with another key", key: otherKey, want: ErrRequestRefused},
		{name: "uncommitted attempt", attempt: 2, want: ErrNotFound},
		{name: "forged 404", server: status(http.StatusNotFound), want: ErrUnavailable},
		{name: "404 signed for another request", server: changed(func(r *http.Request, h http.Header, body []byte) []byte {
			h.Set(HeaderReplySignature, signNotFound(testKey, signRequest(testKey, goodRequest, 1)))
			return body
		}), attempt: 2, want: ErrUnavailable},
		{name: "200 signature on a 404", server: changed(func(r *http.Request, h http.Header, body []byte) []byte {
			h.Set(HeaderReplySignature, signReply(testKey, r.Header.Get(HeaderSignature)))
			return body
		}), attempt: 2, want: ErrUnavailable},
		{name: "500", server: status(http.StatusInternalServerError), want: ErrUnavailable},
		{name: "503", server: status(http.StatusServiceUnavailable), want: ErrUnavailable},
		{name: "400", server: status(http.StatusBadRequest), want: ErrRequestRefused},
		{name: "redirect", server: status(http.StatusFound), want: ErrRequestRefused},
		{name: "stalls mid-body", server: stall, want: ErrUnavailable, also: os.ErrDeadlineExceeded},
		{name: "never answers", server: silent, want: ErrUnavailable, also: os.ErrDeadlineExceeded},
	}
	sentinels := []error{ErrUnavailable, ErrDamaged, ErrNotFound, ErrRequestRefused, ErrUnauthenticated}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key == nil {
				key = testKey
			}
			w := newWorker(t, key, output{3, 1})
			var h http.Handler = w.handler
			if tc.server != nil {
				h = tc.server(t, w)
			}
			addr := serve(t, h)
			f := newTestFetcher(t, nil)
			attempt := 1
			if tc.attempt != 0 {
				attempt = tc.attempt
			}
			_, err := f.Fetch(t.Context(), addr, 3, attempt, bigSection, &bytes.Buffer{})
			require.ErrorIs(t, err, tc.want)
			if tc.also != nil {
				require.ErrorIs(t, err, tc.also)
			}
			for _, s := range sentinels {
				if s != tc.want {
					require.NotErrorIs(t, err, s)
				}
			}
			require.Contains(t, err.Error(), addr)
			require.Contains(t, err.Error(), "map 3 attempt "+strconv.Itoa(attempt)+" reduce 2")
			require.Equal(t, errors.Is(err, ErrDamaged), f.Stats().Damaged == 1)
		})
	}
}

// magicPrefix is the start of every section.
const magicPrefix = "MRKV\x02"

// sectionBytes returns section r of a fresh map output o.
func sectionBytes(t *testing.T, o output, r int) []byte {
	return writeMapOutput(t, t.TempDir()+"/mo", o, testSectionsPerMO, sectionRecords)[r]
}

// downAddr returns the address of a port nothing listens on.
func downAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestFetchServerDown(t *testing.T) {
	f := newTestFetcher(t, nil)
	_, err := f.Fetch(t.Context(), downAddr(t), 3, 1, 2, &bytes.Buffer{})
	require.ErrorIs(t, err, ErrUnavailable)
}

// failingWriter fails every write.
type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestFetchDestinationFails(t *testing.T) {
	w := newWorker(t, testKey, output{3, 1})
	f := newTestFetcher(t, nil)
	_, err := f.Fetch(t.Context(), serve(t, w.handler), 3, 1, bigSection, failingWriter{})
	require.ErrorIs(t, err, errDiskFull)
	require.False(t, retryable(err), "a local error is not the network's: %v", err)
}

func TestFetchBadServerAddress(t *testing.T) {
	f := newTestFetcher(t, nil)
	for _, addr := range []string{"", "host", "host:80/path", "user@host:80", "host:80?x=1", "http://host:80"} {
		_, err := f.Fetch(t.Context(), addr, 3, 1, 2, &bytes.Buffer{})
		require.Error(t, err, addr)
		require.False(t, retryable(err), "%q: %v", addr, err)
	}
	require.Zero(t, f.Stats().Requests)
}

func TestFetchCancelled(t *testing.T) {
	w := newWorker(t, testKey, output{3, 1})
	addr := serve(t, silent(t, w))
	f := newTestFetcher(t, func(c *FetcherConfig) { c.IdleTimeout = time.Hour; c.ResponseHeaderTimeout = time.Hour })
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := f.Fetch(ctx, addr, 3, 1, 2, &bytes.Buffer{})
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, retryable(err))
}

func TestNewFetcherValidates(t *testing.T) {
	tests := []struct {
		name string
		edit func(*FetcherConfig)
	}{
		{"no key", func(c *FetcherConfig) { c.Key = nil }},
		{"short key", func(c *FetcherConfig) { c.Key = testKey[:MinKeySize-1] }},
		{"no job", func(c *FetcherConfig) { c.Job = "" }},
		{"negative connect timeout", func(c *FetcherConfig) { c.ConnectTimeout = -1 }},
		{"negative header timeout", func(c *FetcherConfig) { c.ResponseHeaderTimeout = -1 }},
		{"negative idle timeout", func(c *FetcherConfig) { c.IdleTimeout = -1 }},
		{"negative tries", func(c *FetcherConfig) { c.Tries = -1 }},
		{"negative backoff", func(c *FetcherConfig) { c.BackoffBase = -1 }},
		{"backoff max below base", func(c *FetcherConfig) { c.BackoffBase, c.BackoffMax = time.Second, time.Millisecond }},
		{"negative parallel", func(c *FetcherConfig) { c.Parallel = -1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := FetcherConfig{Key: testKey, Job: testJob}
			tc.edit(&cfg)
			_, err := NewFetcher(cfg)
			require.Error(t, err)
		})
	}
	f, err := NewFetcher(FetcherConfig{Key: testKey, Job: testJob})
	require.NoError(t, err)
	require.Equal(t, DefaultTries, f.cfg.Tries)
	require.Equal(t, DefaultParallel, f.cfg.Parallel)
	require.Equal(t, DefaultIdleTimeout, f.cfg.IdleTimeout)
}

func TestFetchClockSkew(t *testing.T) {
	w := newWorker(t, testKey, output{3, 1})
	addr := serve(t, w.handler)
	tests := []struct {
		offset time.Duration
		want   error
	}{
		{0, nil},
		{MaxSkew - time.Minute, nil},
		{-MaxSkew + time.Minute, nil},
		{time.Hour, ErrRequestRefused},
		{-time.Hour, ErrRequestRefused},
	}
	for _, tc := range tests {
		t.Run(tc.offset.String(), func(t *testing.T) {
			f := newTestFetcher(t, func(c *FetcherConfig) {
				c.Now = func() time.Time { return time.Now().Add(tc.offset) }
			})
			_, err := f.Fetch(t.Context(), addr, 3, 1, bigSection, &bytes.Buffer{})
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, "clock")
		})
	}
}

// TestFetchOverTLS: with TLS the Fetcher speaks HTTPS, checks the
// server's certificate against the CA and the host, and presents its own.
func TestFetchOverTLS(t *testing.T) {
	ca := tlstest.NewCA(t, "job")
	serverTLS, err := tlsconf.Load(ca.Issue("server", "127.0.0.1"))
	require.NoError(t, err)
	clientTLS, err := tlsconf.Load(ca.Issue("client", "127.0.0.1"))
	require.NoError(t, err)
	o := output{3, 1}
	w := newWorker(t, testKey, o)
	srv := httptest.NewUnstartedServer(w.handler)
	srv.TLS = serverTLS.Server()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()

	f := newTestFetcher(t, func(c *FetcherConfig) { c.TLS = clientTLS.Client("") })
	var buf bytes.Buffer
	_, err = f.Fetch(t.Context(), addr, o.mapTask, o.attempt, 0, &buf)
	require.NoError(t, err)
	require.Equal(t, w.sections[o][0], buf.Bytes())

	plain := newTestFetcher(t, func(c *FetcherConfig) { c.Tries = 1 })
	_, err = plain.Fetch(t.Context(), addr, o.mapTask, o.attempt, 0, io.Discard)
	require.Error(t, err, "a plain HTTP request to a TLS server")

	stranger, err := tlsconf.Load(tlstest.NewCA(t, "other").Issue("stranger", "127.0.0.1"))
	require.NoError(t, err)
	f = newTestFetcher(t, func(c *FetcherConfig) { c.TLS = stranger.Client("") })
	_, err = f.Fetch(t.Context(), addr, o.mapTask, o.attempt, 0, io.Discard)
	require.ErrorContains(t, err, "certificate", "a server its CA did not sign")
	_, opened := w.record(t)
	require.Len(t, opened, 1, "only the good fetch reached the handler")
}
