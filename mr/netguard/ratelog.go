package netguard

import (
	"log/slog"
	"sync"
	"time"
)

// DefaultLogEvery is the interval of a RateLog made with an interval of
// zero, and LogBurst how many lines it writes per interval.
const (
	DefaultLogEvery = time.Second
	LogBurst        = 5
)

// RateLog writes warnings about refused peers, at most LogBurst per
// interval, and counts the ones it drops: the next line it writes says
// how many ("dropped"). A stranger who opens connections as fast as it
// can then costs a few lines a second, not a line a connection. Its
// methods are safe for concurrent use.
type RateLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	// mu guards window (when the current interval began), written (the
	// lines written in it) and dropped (the lines dropped since the last
	// one written).
	mu      sync.Mutex
	window  time.Time
	written int
	dropped int
}

// NewRateLog returns a RateLog that writes to log at most LogBurst lines
// per every (DefaultLogEvery if every is zero; every line if it is
// negative).
func NewRateLog(log *slog.Logger, every time.Duration) *RateLog {
	if every == 0 {
		every = DefaultLogEvery
	}
	return &RateLog{log: log, every: every, now: time.Now}
}

// Warn writes msg with args at warning level unless LogBurst lines were
// written in the current interval; then it only counts the line as
// dropped.
func (r *RateLog) Warn(msg string, args ...any) {
	r.mu.Lock()
	now := r.now()
	if r.window.IsZero() || now.Sub(r.window) >= r.every {
		r.window, r.written = now, 0
	}
	if r.every > 0 && r.written >= LogBurst {
		r.dropped++
		r.mu.Unlock()
		return
	}
	dropped := r.dropped
	r.written, r.dropped = r.written+1, 0
	r.mu.Unlock()
	if dropped > 0 {
		args = append(args, "dropped", dropped)
	}
	r.log.Warn(msg, args...)
}
