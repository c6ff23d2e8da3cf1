package s3

import (
	"context"
	"errors"
	"net/http"
	"time"
)

// Retry defaults.
const (
	DefaultMaxAttempts = 5
	DefaultBaseDelay   = 100 * time.Millisecond
	DefaultMaxDelay    = 5 * time.Second
)

// RetryPolicy bounds the retries of one request: at most MaxAttempts
// tries, the wait before try n+1 drawn uniformly from
// [0, min(MaxDelay, BaseDelay*2^(n-1))) ("full jitter").
type RetryPolicy struct {
	MaxAttempts int
	BaseDelay   time.Duration
	MaxDelay    time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	return p
}

// ceiling is the upper bound of the wait after the attempt-th try
// (attempt counts from 1).
func (p RetryPolicy) ceiling(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// retryable reports whether a try that failed with err may succeed if
// made again: a dropped or refused connection, a timeout of the try
// (not of the caller's context), a 5xx, SlowDown or RequestTimeout.
// Every other 4xx is final.
func retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode >= http.StatusInternalServerError ||
			e.Code == codeSlowDown || e.Code == codeRequestTimeout
	}
	return true // transport errors: resets, EOFs, refused dials, try timeouts
}

// sleepContext waits d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
