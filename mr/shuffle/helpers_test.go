package shuffle

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"6.5840/mr/ifile"
	"github.com/stretchr/testify/require"
)

const testJob = "job-7"

// testKey is the key of the test job; otherKey is another job's.
var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
)

// Short timeouts for tests, so that no test waits for a default.
const (
	testIdleTimeout   = 200 * time.Millisecond
	testBackoffBase   = 2 * time.Millisecond
	testBackoffMax    = 8 * time.Millisecond
	testSectionsPerMO = 5
)

// testLogger logs to t.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	// b is guarded by mu.
	b bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// output names a map output: a map task and an attempt.
type output struct{ mapTask, attempt int }

// sectionRecords returns the records of section r of output o: sizes
// vary with r, from empty to several blocks.
func sectionRecords(o output, r int) [][2]string {
	n := []int{0, 3, 5000, 1, 200}[r%testSectionsPerMO]
	recs := make([][2]string, n)
	for i := range recs {
		recs[i] = [2]string{fmt.Sprintf("m%d-a%d-r%d-%06d", o.mapTask, o.attempt, r, i), strings.Repeat("v", i%50)}
	}
	return recs
}

// writeMapOutput writes the map output file of o to path, with sections
// sections, and returns the bytes of each section.
func writeMapOutput(t testing.TB, path string, o output, sections int, records func(output, int) [][2]string) [][]byte {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	bw := bufio.NewWriter(f)
	sw := ifile.NewSectionWriter(bw)
	for r := range sections {
		w, err := sw.Next()
		require.NoError(t, err)
		for _, rec := range records(o, r) {
			require.NoError(t, w.Write(rec[0], rec[1]))
		}
	}
	require.NoError(t, sw.Close())
	require.NoError(t, bw.Flush())
	require.NoError(t, f.Close())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	out := make([][]byte, sections)
	for r := range out {
		off, n, err := ifile.SectionRange(bytes.NewReader(data), int64(len(data)), path, r)
		require.NoError(t, err)
		out[r] = data[off : off+n]
	}
	return out
}

// worker is a worker's map outputs and the handler that serves them,
// recording what it is asked for and what it opens.
type worker struct {
	dir      string
	paths    map[output]string
	sections map[output][][]byte
	handler  *handler
	logs     *lockedBuffer

	mu sync.Mutex
	// lookups and opened, guarded by mu, record Lookup's calls and the
	// files the handler opened.
	lookups []output
	opened  []string
}

// newWorker writes the given committed outputs, each of
// testSectionsPerMO sections, and returns a worker serving them with key.
// The handler logs to t and to w.logs.
func newWorker(t testing.TB, key []byte, outputs ...output) *worker {
	t.Helper()
	w := &worker{dir: t.TempDir(), paths: map[output]string{}, sections: map[output][][]byte{}, logs: &lockedBuffer{}}
	for _, o := range outputs {
		path := filepath.Join(w.dir, fmt.Sprintf("mo-%d-%d", o.mapTask, o.attempt))
		w.sections[o] = writeMapOutput(t, path, o, testSectionsPerMO, sectionRecords)
		w.paths[o] = path
	}
	both := io.MultiWriter(w.logs, testLogWriter{t})
	h, err := NewHandler(HandlerConfig{
		Key: key,
		Job: testJob,
		Lookup: func(mapTask, attempt int) (string, bool) {
			o := output{mapTask, attempt}
			w.mu.Lock()
			w.lookups = append(w.lookups, o)
			w.mu.Unlock()
			path, ok := w.paths[o]
			return path, ok
		},
		Logger:          slog.New(slog.NewTextHandler(both, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RefusalLogEvery: -1,
	})
	require.NoError(t, err)
	w.handler = h.(*handler)
	w.handler.open = func(path string) (*os.File, error) {
		w.mu.Lock()
		w.opened = append(w.opened, path)
		w.mu.Unlock()
		return openReadOnly(path)
	}
	return w
}

// record returns what the worker was asked for and opened so far, and
// checks that it opened only paths Lookup gave.
func (w *worker) record(t testing.TB) (lookups []output, opened []string) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, path := range w.opened {
		require.True(t, slices.ContainsFunc(w.lookups, func(o output) bool { return w.paths[o] == path }),
			"opened %s, which Lookup never returned", path)
	}
	return slices.Clone(w.lookups), slices.Clone(w.opened)
}

// serve starts an HTTP server for h and returns its host:port.
func serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// newTestFetcher returns a Fetcher for the test job with short timeouts
// and backoff, changed by edit.
func newTestFetcher(t testing.TB, edit func(*FetcherConfig)) *Fetcher {
	t.Helper()
	cfg := FetcherConfig{
		Key:         testKey,
		Job:         testJob,
		IdleTimeout: testIdleTimeout,
		BackoffBase: testBackoffBase,
		BackoffMax:  testBackoffMax,
		Logger:      testLogger(t),
	}
	if edit != nil {
		edit(&cfg)
	}
	f, err := NewFetcher(cfg)
	require.NoError(t, err)
	t.Cleanup(f.Close)
	return f
}

// sink collects what FetchAll commits.
type sink struct {
	mu sync.Mutex
	// committed, opened and aborted are guarded by mu.
	committed map[Source][]byte
	opened    int
	aborted   int
}

func newSink() *sink { return &sink{committed: map[Source][]byte{}} }

func (s *sink) open(src Source) (Destination, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opened++
	return &memDest{sink: s, src: src}, nil
}

// counts returns how many destinations were opened and aborted.
func (s *sink) counts() (opened, aborted int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened, s.aborted
}

// memDest is a Destination in memory.
type memDest struct {
	sink *sink
	src  Source
	buf  bytes.Buffer
}

func (d *memDest) Write(p []byte) (int, error) { return d.buf.Write(p) }

func (d *memDest) Commit() error {
	d.sink.mu.Lock()
	defer d.sink.mu.Unlock()
	if _, ok := d.sink.committed[d.src]; ok {
		return fmt.Errorf("%s committed twice", d.src)
	}
	d.sink.committed[d.src] = d.buf.Bytes()
	return nil
}

func (d *memDest) Abort() {
	d.sink.mu.Lock()
	defer d.sink.mu.Unlock()
	d.sink.aborted++
}

// signedRequest returns a server-side request for req signed with key at
// unixTime.
func signedRequest(key []byte, req request, unixTime int64) *http.Request {
	r := httptest.NewRequest(http.MethodGet, Path+"?"+req.query(), nil)
	r.Header.Set(HeaderTime, fmt.Sprint(unixTime))
	r.Header.Set(HeaderSignature, signRequest(key, req, unixTime))
	return r
}

// expectedBody returns the body of the reply to a request signed sig for
// section.
func expectedBody(key []byte, sig string, section []byte) []byte {
	m := newBodyMAC(key, sig)
	m.Write(section)
	return m.Sum(slices.Clone(section))
}
