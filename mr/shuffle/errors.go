package shuffle

import (
	"errors"
	"fmt"
)

// Errors of a fetch, wrapped with the server and the section. Fetch
// returns an error wrapping exactly one of them, or the context's error,
// or (an error of the destination) none.
var (
	// ErrUnavailable means the server could not be reached or did not
	// answer in time: a dial error, a timeout, a connection reset, a 5xx
	// status. Worth retrying.
	ErrUnavailable = errors.New("map output server unavailable")
	// ErrDamaged means the reply did not hold the section intact: a
	// failed block checksum (ifile.ErrFormat), a short body, or a body
	// MAC that does not match. Worth retrying.
	ErrDamaged = errors.New("map output damaged in transit")
	// ErrNotFound means the server has no such committed map output (404).
	// Not worth retrying: the map output is lost.
	ErrNotFound = errors.New("map output not found")
	// ErrRequestRefused means the server refused the request: its signature
	// (401, 403: the keys differ, or the clocks are too far apart) or the
	// request itself (another 4xx or an unexpected status). Not worth
	// retrying.
	ErrRequestRefused = errors.New("map output request refused")
	// ErrUnauthenticated means the reply's signature is missing or wrong:
	// whoever answered does not know the key. Not worth retrying.
	ErrUnauthenticated = errors.New("map output reply not authenticated")
)

// retryable reports whether another try might fetch what err failed to.
func retryable(err error) bool {
	return errors.Is(err, ErrUnavailable) || errors.Is(err, ErrDamaged)
}

// FetchError reports a source FetchAll could not get.
type FetchError struct {
	// Source is the source that was not fetched.
	Source Source
	// Err is the error of the last try, or the context's error, or the
	// error of opening or committing a destination.
	Err error
	// Tries is the number of tries made for Source; 0 if FetchAll
	// stopped before the first.
	Tries int
}

// Error implements error.
func (e *FetchError) Error() string {
	return fmt.Sprintf("fetch %s (tries: %d): %v", e.Source, e.Tries, e.Err)
}

// Unwrap returns Err.
func (e *FetchError) Unwrap() error { return e.Err }
