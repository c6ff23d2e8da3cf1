package netguard

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultLogEvery is the least time between two lines of a RateLog made
// with an interval of zero.
const DefaultLogEvery = time.Second

// RateLog writes warnings about refused peers at most once per interval,
// and counts the ones it drops: the next line it writes says how many
// ("dropped"). A stranger who opens connections as fast as it can then
// costs a line a second, not a line a connection. Its methods are safe
// for concurrent use.
type RateLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	// mu guards last (when a line was last written) and dropped (the
	// lines dropped since).
	mu      sync.Mutex
	last    time.Time
	dropped int
}

// NewRateLog returns a RateLog that writes to log at most once per every
// (DefaultLogEvery if every is zero; every line if it is negative).
func NewRateLog(log *slog.Logger, every time.Duration) *RateLog {
	if every == 0 {
		every = DefaultLogEvery
	}
	return &RateLog{log: log, every: every, now: time.Now}
}

// Warn writes msg with args at warning level unless a line was written
// less than the interval ago; then it only counts the line as dropped.
func (r *RateLog) Warn(msg string, args ...any) {
	r.mu.Lock()
	now := r.now()
	if r.every > 0 && !r.last.IsZero() && now.Sub(r.last) < r.every {
		r.dropped++
		r.mu.Unlock()
		return
	}
	dropped := r.dropped
	r.last, r.dropped = now, 0
	r.mu.Unlock()
	if dropped > 0 {
		args = append(args, "dropped", dropped)
	}
	r.log.Warn(msg, args...)
}
