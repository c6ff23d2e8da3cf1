package shuffle

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults of FetcherConfig, used for zero fields.
const (
	// DefaultConnectTimeout bounds a dial.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultResponseHeaderTimeout bounds the wait for a reply's headers
	// once the request is sent: the server only opens a file and reads
	// its index first.
	DefaultResponseHeaderTimeout = 10 * time.Second
	// DefaultIdleTimeout is how long a connection may go without a byte
	// while a reply is expected, and how long an idle connection is kept.
	DefaultIdleTimeout = 30 * time.Second
	// DefaultTries is how many times FetchAll tries a source, the first
	// try included, while the errors are worth retrying.
	DefaultTries = 3
	// DefaultBackoffBase is the wait after a source's first failed try;
	// it doubles after each further one.
	DefaultBackoffBase = 100 * time.Millisecond
	// DefaultBackoffMax caps the wait between two tries.
	DefaultBackoffMax = 5 * time.Second
	// DefaultParallel is how many sources FetchAll fetches at once.
	DefaultParallel = 4
)

// FetcherConfig configures a Fetcher. Zero durations and counts mean the
// defaults above.
type FetcherConfig struct {
	// Key signs requests and authenticates replies. It must be at least
	// MinKeySize bytes; it is never logged nor put in a URL.
	Key []byte
	// Job is the id of the job whose map outputs are fetched.
	Job string
	// ConnectTimeout bounds a dial.
	ConnectTimeout time.Duration
	// ResponseHeaderTimeout bounds the wait for a reply's headers. The
	// idle timeout applies then too, so the shorter of the two counts.
	ResponseHeaderTimeout time.Duration
	// IdleTimeout fails a read that gets no byte for this long, so that
	// a peer that stops answering mid-reply is given up on; it also
	// closes connections left idle for this long.
	IdleTimeout time.Duration
	// Tries is how many times FetchAll tries a source in all, while the
	// errors are worth retrying (ErrUnavailable, ErrDamaged).
	Tries int
	// BackoffBase is the wait after a source's first failed try; each
	// further failure doubles it, up to BackoffMax. A wait is drawn
	// between half and all of that.
	BackoffBase time.Duration
	// BackoffMax caps the wait between two tries.
	BackoffMax time.Duration
	// Parallel is how many sources FetchAll fetches at once.
	Parallel int
	// Logger receives an Info record for each retry. Nil discards.
	Logger *slog.Logger
	// Now is the clock requests are signed with. Nil means time.Now.
	Now func() time.Time
	// TLS, if set, makes requests over HTTPS with this configuration;
	// its ServerName is left empty, to be each server's host.
	TLS *tls.Config
}

// withDefaults returns c with its zero fields set to the defaults.
func (c FetcherConfig) withDefaults() FetcherConfig {
	setDefault(&c.ConnectTimeout, DefaultConnectTimeout)
	setDefault(&c.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.Tries, DefaultTries)
	setDefault(&c.BackoffBase, DefaultBackoffBase)
	setDefault(&c.BackoffMax, DefaultBackoffMax)
	setDefault(&c.Parallel, DefaultParallel)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// setDefault sets *v to def if it is zero.
func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// validate returns an error for the first bad field of c, once the
// defaults are set.
func (c FetcherConfig) validate() error {
	switch {
	case len(c.Key) < MinKeySize:
		return fmt.Errorf("shuffle: key of %d bytes, want at least %d", len(c.Key), MinKeySize)
	case c.Job == "":
		return errors.New("shuffle: empty job id")
	case c.ConnectTimeout < 0:
		return fmt.Errorf("shuffle: negative connect timeout %v", c.ConnectTimeout)
	case c.ResponseHeaderTimeout < 0:
		return fmt.Errorf("shuffle: negative response header timeout %v", c.ResponseHeaderTimeout)
	case c.IdleTimeout < 0:
		return fmt.Errorf("shuffle: negative idle timeout %v", c.IdleTimeout)
	case c.Tries < 0:
		return fmt.Errorf("shuffle: negative tries %d", c.Tries)
	case c.BackoffBase < 0:
		return fmt.Errorf("shuffle: negative backoff base %v", c.BackoffBase)
	case c.BackoffMax < c.BackoffBase:
		return fmt.Errorf("shuffle: backoff max %v below backoff base %v", c.BackoffMax, c.BackoffBase)
	case c.Parallel < 0:
		return fmt.Errorf("shuffle: negative parallel %d", c.Parallel)
	}
	return nil
}
