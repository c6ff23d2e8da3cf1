package shuffle

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"time"
)

// Source is a map output to fetch a section of: the output of attempt
// Attempt of map task Map, held by the worker serving at Server.
type Source struct {
	// Server is the host:port of the worker's map output server.
	Server string
	// Map and Attempt name the map task and the attempt of it that the
	// worker committed.
	Map, Attempt int
}

// String describes the source for messages.
func (s Source) String() string {
	return fmt.Sprintf("map %d attempt %d from %s", s.Map, s.Attempt, s.Server)
}

// Destination receives one try at fetching one source. *atomicfile.File
// is a Destination.
type Destination interface {
	io.Writer
	// Commit keeps what was written: the whole section, checked.
	Commit() error
	// Abort discards what was written. It is called after a failed
	// Commit too, and must then be harmless.
	Abort()
}

// FetchAll fetches section reduce of every source, at most Parallel at
// once, writing each try to a fresh Destination from open. A try that
// fails with an error worth retrying (ErrUnavailable, ErrDamaged) is
// aborted and, up to Tries tries in all, tried again after a backoff.
// The result has one entry per source, in order: nil for a source fetched
// and committed, else a *FetchError, so that the caller can keep what it
// got and report the rest as lost. When ctx ends, FetchAll stops
// promptly: fetches in flight and waits are cut short, and sources not
// yet started fail with ctx's error and Tries 0.
//
// Memory stays at about Parallel times one ifile block and the buffers of
// a connection, plus what the destinations hold, whatever the size of
// the sections.
func (f *Fetcher) FetchAll(ctx context.Context, sources []Source, reduce int, open func(Source) (Destination, error)) []error {
	errs := make([]error, len(sources))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(f.cfg.Parallel, len(sources)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = f.fetchSource(ctx, sources[i], reduce, open)
			}
		})
	}
	for i := range sources {
		select {
		case next <- i:
		case <-ctx.Done():
			errs[i] = &FetchError{Source: sources[i], Err: ctx.Err()}
		}
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			f.stats.failed.Add(1)
		}
	}
	return errs
}

// fetchSource fetches one source, trying again while that is worth it;
// it returns nil or a *FetchError.
func (f *Fetcher) fetchSource(ctx context.Context, src Source, reduce int, open func(Source) (Destination, error)) error {
	for try := 1; ; try++ {
		if err := ctx.Err(); err != nil {
			return &FetchError{Source: src, Err: err, Tries: try - 1}
		}
		err := f.tryOnce(ctx, src, reduce, open)
		switch {
		case err == nil:
			return nil
		case !retryable(err) || try >= f.cfg.Tries:
			return &FetchError{Source: src, Err: err, Tries: try}
		}
		f.stats.retries.Add(1)
		wait := jitter(backoff(try, f.cfg.BackoffBase, f.cfg.BackoffMax))
		f.cfg.Logger.Info("shuffle fetch failed, will retry", "source", src, "reduce", reduce, "try", try, "wait", wait, "err", err)
		if !sleep(ctx, wait) {
			return &FetchError{Source: src, Err: fmt.Errorf("%w (after: %v)", ctx.Err(), err), Tries: try}
		}
	}
}

// tryOnce makes one try at src into a fresh destination, which it
// commits on success and aborts otherwise.
func (f *Fetcher) tryOnce(ctx context.Context, src Source, reduce int, open func(Source) (Destination, error)) error {
	dst, err := open(src)
	if err != nil {
		return fmt.Errorf("open destination: %w", err)
	}
	req := request{job: f.cfg.Job, mapTask: src.Map, attempt: src.Attempt, reduce: reduce}
	if _, err := f.fetchCounted(ctx, src.Server, req, dst); err != nil {
		dst.Abort()
		return err
	}
	if err := dst.Commit(); err != nil {
		dst.Abort()
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// backoff returns the wait after the given number of failed tries: base,
// doubled for each try after the first, capped at most.
func backoff(tries int, base, most time.Duration) time.Duration {
	d := base
	for i := 1; i < tries && d < most; i++ {
		d *= 2
	}
	return min(d, most)
}

// jitter returns a random duration between d/2 and d, so that reducers
// that failed together do not all come back together.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	return d - half + rand.N(half+1)
}

// sleep waits for d, returning false if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
