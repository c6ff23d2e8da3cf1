package shuffle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// manyOutputs returns n outputs of distinct map tasks.
func manyOutputs(n int) []output {
	outs := make([]output, n)
	for i := range outs {
		outs[i] = output{mapTask: i, attempt: i % 3}
	}
	return outs
}

// sourcesOf returns the sources of outs served at addr.
func sourcesOf(addr string, outs []output) []Source {
	srcs := make([]Source, len(outs))
	for i, o := range outs {
		srcs[i] = Source{Server: addr, Map: o.mapTask, Attempt: o.attempt}
	}
	return srcs
}

// fetchError returns err as a *FetchError.
func fetchError(t *testing.T, err error) *FetchError {
	t.Helper()
	var fe *FetchError
	require.ErrorAs(t, err, &fe)
	return fe
}

func TestFetchAllRetriesDamagedReply(t *testing.T) {
	outs := manyOutputs(6)
	w := newWorker(t, testKey, outs...)
	addr := serve(t, tamper(w.handler, true, flipAt(len(magicPrefix)+100)))
	f := newTestFetcher(t, nil)
	s := newSink()

	errs := f.FetchAll(t.Context(), sourcesOf(addr, outs), bigSection, s.open)

	require.Equal(t, make([]error, len(outs)), errs)
	for i, src := range sourcesOf(addr, outs) {
		require.Equal(t, w.sections[outs[i]][bigSection], s.committed[src], "%s", src)
	}
	opened, aborted := s.counts()
	require.Equal(t, len(outs)+1, opened)
	require.Equal(t, 1, aborted)
	stats := f.Stats()
	require.Equal(t, int64(1), stats.Damaged)
	require.Equal(t, int64(1), stats.Retries)
	require.Equal(t, int64(len(outs)), stats.Fetched)
	require.Zero(t, stats.Failed)
}

// arrivals records when requests reach a server.
type arrivals struct {
	mu sync.Mutex
	// times is guarded by mu.
	times []time.Time
}

func (a *arrivals) add() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.times = append(a.times, time.Now())
}

func (a *arrivals) get() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.times...)
}

func TestFetchAllKeepsWhatItGets(t *testing.T) {
	good := manyOutputs(3)
	w := newWorker(t, testKey, good...)
	addr := serve(t, w.handler)
	var busy arrivals
	busyAddr := serve(t, http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		busy.add()
		http.Error(rw, "busy", http.StatusServiceUnavailable)
	}))
	srcs := append(sourcesOf(addr, good),
		Source{Server: addr, Map: 0, Attempt: 9},        // not committed
		Source{Server: downAddr(t), Map: 1, Attempt: 1}, // down
		Source{Server: busyAddr, Map: 2, Attempt: 2},    // 503
		Source{Server: addr, Map: 5, Attempt: 0},        // not committed
	)
	const tries = 3
	f := newTestFetcher(t, func(c *FetcherConfig) { c.Tries = tries })
	s := newSink()

	errs := f.FetchAll(t.Context(), srcs, bigSection, s.open)

	require.Len(t, errs, len(srcs))
	for i := range good {
		require.NoError(t, errs[i])
		require.Equal(t, w.sections[good[i]][bigSection], s.committed[srcs[i]])
	}
	wants := []struct {
		err   error
		tries int
	}{{ErrNotFound, 1}, {ErrUnavailable, tries}, {ErrUnavailable, tries}, {ErrNotFound, 1}}
	for i, want := range wants {
		fe := fetchError(t, errs[len(good)+i])
		require.Equal(t, srcs[len(good)+i], fe.Source)
		require.ErrorIs(t, fe, want.err)
		require.Equal(t, want.tries, fe.Tries, "%v", fe)
	}
	require.Len(t, s.committed, len(good))

	// The busy server saw every try, each after a backoff of at least
	// half the nominal wait.
	times := busy.get()
	require.Len(t, times, tries)
	for i := 1; i < len(times); i++ {
		least := backoff(i, testBackoffBase, testBackoffMax) / 2
		require.GreaterOrEqual(t, times[i].Sub(times[i-1]), least, "wait before try %d", i+1)
	}
	stats := f.Stats()
	require.Equal(t, int64(2*(tries-1)), stats.Retries)
	require.Equal(t, int64(len(wants)), stats.Failed)
	require.Equal(t, int64(len(good)), stats.Fetched)
}

func TestFetchAllOneTry(t *testing.T) {
	f := newTestFetcher(t, func(c *FetcherConfig) { c.Tries = 1 })
	errs := f.FetchAll(t.Context(), []Source{{Server: downAddr(t), Map: 1}}, 0, newSink().open)
	fe := fetchError(t, errs[0])
	require.ErrorIs(t, fe, ErrUnavailable)
	require.Equal(t, 1, fe.Tries)
	require.Zero(t, f.Stats().Retries)
}

func TestFetchAllOpenFails(t *testing.T) {
	errNoSpace := errors.New("no space")
	w := newWorker(t, testKey, output{3, 1})
	f := newTestFetcher(t, nil)
	errs := f.FetchAll(t.Context(), []Source{{Server: serve(t, w.handler), Map: 3, Attempt: 1}}, 0,
		func(Source) (Destination, error) { return nil, errNoSpace })
	fe := fetchError(t, errs[0])
	require.ErrorIs(t, fe, errNoSpace)
	require.Equal(t, 1, fe.Tries)
	require.Zero(t, f.Stats().Requests)
}

func TestFetchAllParallelLimit(t *testing.T) {
	for _, tc := range []struct{ set, parallel int }{{1, 1}, {3, 3}, {0, DefaultParallel}} {
		parallel := tc.parallel
		t.Run(fmt.Sprint(tc.set), func(t *testing.T) {
			outs := manyOutputs(3*parallel + 1)
			w := newWorker(t, testKey, outs...)
			var inFlight, most atomic.Int64
			full := make(chan struct{})
			var fullOnce sync.Once
			addr := serve(t, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				n := inFlight.Add(1)
				defer inFlight.Add(-1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				// Hold the first requests until parallel of them are
				// in flight, so that a limit set too low hangs here
				// (until stallSafety) and one set too high is seen.
				if n == int64(parallel) {
					fullOnce.Do(func() { close(full) })
				}
				select {
				case <-full:
				case <-time.After(stallSafety):
				}
				w.handler.ServeHTTP(rw, r)
			}))
			f := newTestFetcher(t, func(c *FetcherConfig) { c.Parallel = tc.set })
			s := newSink()

			errs := f.FetchAll(t.Context(), sourcesOf(addr, outs), bigSection, s.open)

			require.Equal(t, make([]error, len(outs)), errs)
			require.Equal(t, int64(parallel), most.Load())
		})
	}
}

func TestFetchAllCancel(t *testing.T) {
	const parallel = 2
	outs := manyOutputs(10)
	arrived := make(chan struct{}, len(outs))
	addr := serve(t, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(stallSafety):
		}
	}))
	f := newTestFetcher(t, func(c *FetcherConfig) {
		c.Parallel = parallel
		c.IdleTimeout, c.ResponseHeaderTimeout = time.Hour, time.Hour
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan []error)
	go func() { done <- f.FetchAll(ctx, sourcesOf(addr, outs), 0, newSink().open) }()
	for range parallel {
		<-arrived
	}
	cancel()
	var errs []error
	select {
	case errs = <-done:
	case <-time.After(stallSafety):
		t.Fatal("FetchAll did not stop on cancel")
	}
	started := 0
	for _, err := range errs {
		fe := fetchError(t, err)
		require.ErrorIs(t, fe, context.Canceled)
		require.LessOrEqual(t, fe.Tries, 1)
		started += fe.Tries
	}
	require.Equal(t, parallel, started)
	require.Equal(t, int64(len(outs)), f.Stats().Failed)
}

// signalHandler is a slog.Handler that sends each message on a channel.
type signalHandler struct{ messages chan<- string }

func (h signalHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h signalHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h signalHandler) WithGroup(string) slog.Handler            { return h }
func (h signalHandler) Handle(_ context.Context, r slog.Record) error {
	h.messages <- r.Message
	return nil
}

func TestFetchAllCancelDuringBackoff(t *testing.T) {
	addr := serve(t, http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		http.Error(rw, "busy", http.StatusServiceUnavailable)
	}))
	// FetchAll logs each retry just before it waits.
	retrying := make(chan string, 1)
	f := newTestFetcher(t, func(c *FetcherConfig) {
		c.BackoffBase, c.BackoffMax = time.Hour, time.Hour
		c.Logger = slog.New(signalHandler{retrying})
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan []error)
	go func() { done <- f.FetchAll(ctx, []Source{{Server: addr, Map: 1}}, 0, newSink().open) }()
	<-retrying
	cancel()
	select {
	case errs := <-done:
		fe := fetchError(t, errs[0])
		require.ErrorIs(t, fe, context.Canceled)
		require.Equal(t, 1, fe.Tries)
	case <-time.After(stallSafety):
		t.Fatal("FetchAll did not stop on cancel")
	}
}

func TestFetchAllNoSources(t *testing.T) {
	f := newTestFetcher(t, nil)
	require.Empty(t, f.FetchAll(t.Context(), nil, 0, newSink().open))
}

func TestBackoff(t *testing.T) {
	const base, most = 100 * time.Millisecond, time.Second
	tests := []struct {
		tries int
		want  time.Duration
	}{
		{1, 100 * time.Millisecond},
		{2, 200 * time.Millisecond},
		{3, 400 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, time.Second},
		{60, time.Second},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, backoff(tc.tries, base, most), "backoff(%d)", tc.tries)
	}
	for _, d := range []time.Duration{0, 1, 2, 3, time.Second} {
		for range 100 {
			got := jitter(d)
			require.True(t, got >= d/2 && got <= d, "jitter(%v) = %v", d, got)
		}
	}
}
