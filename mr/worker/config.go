package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"6.5840/mr/app"
	"6.5840/mr/auth"
	"6.5840/mr/s3"
	"6.5840/mr/tlsconf"
	"6.5840/mr/transport"
)

// Defaults of the Config that DefaultConfig returns.
const (
	// DefaultRetryWindow is how long a worker keeps trying to reach an
	// unreachable coordinator before it gives up.
	DefaultRetryWindow = 5 * time.Second
	// DefaultCallTimeout bounds every call to the coordinator, beyond the
	// time a long-poll may wait by design: a coordinator that does not
	// answer within it (frozen, or a half-open connection) is treated as
	// unreachable.
	DefaultCallTimeout = 5 * time.Second
	// DefaultStuckGrace is how long Map or Reduce may go on after its
	// attempt was revoked (or its lease lost) before the worker gives up
	// on it.
	DefaultStuckGrace = 5 * time.Second
	// DefaultSortBuffer is how many bytes of map output a map attempt
	// keeps in memory before it spills a sorted run to disk.
	DefaultSortBuffer = 64 << 20
)

// Config says how a worker finds its coordinator and what it runs.
type Config struct {
	// Addr is the coordinator's address, used by the default Dial.
	Addr transport.Addr
	// Dial connects to the coordinator; nil dials Addr.
	Dial func() (net.Conn, error)
	// App holds Map, Reduce and the optional functions.
	App app.App
	// AppID identifies the application, e.g. a hash of the plugin file:
	// the coordinator refuses a worker whose AppID differs from the job's.
	AppID string
	// Dir is the job's folder, shared by every machine: inputs are read
	// and reduce outputs written there; "" means ".".
	Dir string
	// LocalDir is where this worker keeps its map output, a folder; ""
	// means Dir. Another folder needs a TCP Addr: on one machine map
	// output stays in Dir, where reducers look for it.
	LocalDir string
	// Secret authenticates the worker to a coordinator over TCP, and its
	// map output server to other workers. It is required over TCP.
	Secret auth.Secret
	// Serve is where the worker serves its map output to other workers
	// (host:port) when it has a Secret; "" means an ephemeral port on the
	// address it reaches the coordinator from. An empty or unspecified
	// host (":7001", "0.0.0.0:7001") listens on every address and is
	// advertised as that address. It needs a TCP Addr: without one (one
	// machine, a Unix socket) nothing is served.
	Serve string
	// TLS, if not nil, encrypts the worker's connections to the
	// coordinator and to other workers, and its map output server's.
	TLS *tlsconf.Config
	// RetryWindow is how long the coordinator may be unreachable before
	// the worker gives up; zero gives up at the first failure.
	RetryWindow time.Duration
	// CallTimeout bounds each call to the coordinator beyond any wait the
	// call asks for.
	CallTimeout time.Duration
	// StuckGrace is how long Map or Reduce may run on after its attempt
	// ended before Run returns ErrAttemptStuck.
	StuckGrace time.Duration
	// SortBuffer bounds the map output a map attempt keeps in memory
	// before spilling sorted runs to disk.
	SortBuffer int64
	// SegmentMax is the largest map output (in bytes of the map buffer)
	// that a worker without a map output server appends to its segment
	// file in the shared folder, rather than write to a file of its own;
	// zero gives every output a file of its own.
	SegmentMax int64
	// S3 is the client of inputs and outputs in a bucket (s3://...);
	// nil makes one from the environment (s3.FromEnv) when a task first
	// needs it.
	S3 *s3.Client
	// Logger receives the worker's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a Config with every field at its default; a
// caller sets App and whatever else it wants to differ. New takes the
// values as they are: zero is a value, not "the default".
func DefaultConfig() Config {
	return Config{
		RetryWindow: DefaultRetryWindow,
		CallTimeout: DefaultCallTimeout,
		StuckGrace:  DefaultStuckGrace,
		SortBuffer:  DefaultSortBuffer,
		SegmentMax:  DefaultSegmentMax,
	}
}

// withFallbacks returns c with its folders and a Logger filled in.
func (c Config) withFallbacks() Config {
	if c.Dir == "" {
		c.Dir = "."
	}
	if c.LocalDir == "" {
		c.LocalDir = c.Dir
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate returns nil, or an ExitError of class ExitBadConfig with one
// line per bad field, naming the flag that sets it. It leaves App to
// New, so a program can check its flags before it loads the application.
func (c Config) Validate() error {
	if err := c.validate(); err != nil {
		return &ExitError{Exit: ExitBadConfig, Err: err}
	}
	return nil
}

// validate returns one error per bad field. It looks at LocalDir and Serve
// as given, before withFallbacks.
func (c Config) validate() error {
	var errs []error
	if c.SegmentMax < 0 {
		errs = append(errs, fmt.Errorf("-segment-max must not be negative, got %d", c.SegmentMax))
	}
	if c.SortBuffer <= 0 {
		errs = append(errs, fmt.Errorf("-sort-buffer must be positive, got %d", c.SortBuffer))
	}
	if c.StuckGrace <= 0 {
		errs = append(errs, fmt.Errorf("-stuck-grace must be positive, got %v", c.StuckGrace))
	}
	if c.RetryWindow < 0 {
		errs = append(errs, fmt.Errorf("-retry-window must not be negative, got %v", c.RetryWindow))
	}
	if c.CallTimeout <= 0 {
		errs = append(errs, fmt.Errorf("call timeout must be positive, got %v", c.CallTimeout))
	}
	if c.Addr.Network != "tcp" && (c.Serve != "" || c.LocalDir != "") {
		errs = append(errs, errors.New("-serve and -local-dir need -addr tcp:HOST:PORT: "+
			"on one machine map output stays in the job's folder"))
	}
	if c.Serve != "" {
		if _, _, err := net.SplitHostPort(c.Serve); err != nil {
			errs = append(errs, fmt.Errorf("-serve %s: want HOST:PORT (:PORT listens on every address): %w", c.Serve, err))
		}
	}
	if c.LocalDir != "" {
		if info, err := os.Stat(c.LocalDir); err != nil || !info.IsDir() {
			errs = append(errs, fmt.Errorf("-local-dir %s: not a folder", c.LocalDir))
		}
	}
	return errors.Join(errs...)
}
