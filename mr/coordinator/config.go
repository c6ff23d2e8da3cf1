package coordinator

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Defaults for Config fields left zero.
const (
	DefaultNReduce           = 10
	DefaultLease             = 2 * time.Second
	DefaultHeartbeatInterval = 250 * time.Millisecond
	DefaultTaskTimeout       = 10 * time.Minute
	DefaultPollTimeout       = time.Second
	DefaultExitGrace         = 2 * time.Second
	DefaultMaxFailures       = 4
	DefaultBackupFactor      = 3.0
	DefaultBackupMinAge      = 5 * time.Second
)

// Config describes a job and how the coordinator runs it.
type Config struct {
	// Inputs are the input files, one map task each, passed to Map as given.
	Inputs []string
	// NReduce is the number of reduce tasks and output files.
	NReduce int
	// Lease is how long a running attempt lives without a heartbeat before
	// it is revoked and its task handed out again.
	Lease time.Duration
	// HeartbeatInterval is how often workers are told to heartbeat; it
	// must be well under Lease.
	HeartbeatInterval time.Duration
	// TaskTimeout is the most an attempt may run, heartbeats or not.
	TaskTimeout time.Duration
	// PollTimeout bounds how long GetTask waits for a task to be free.
	PollTimeout time.Duration
	// ExitGrace bounds how long, after the job, the coordinator waits for
	// polling workers to be told to exit.
	ExitGrace time.Duration
	// MaxFailures is how many failed or lost attempts one task survives;
	// one more fails the job. Negative means no limit.
	MaxFailures int
	// BackupFactor enables backup attempts of stragglers when positive.
	// Negative disables them.
	BackupFactor float64
	// BackupMinAge is the least time an attempt runs before it may get a
	// backup.
	BackupMinAge time.Duration
	// SplitSize, when positive, cuts input files larger than it into map
	// tasks of about SplitSize bytes each, at line boundaries.
	SplitSize int64
	// Dir is the job directory, where the workers write their files and
	// the journal lives; "" means ".".
	Dir string
	// NoJournal turns the journal off: a restarted coordinator then starts
	// the job afresh.
	NoJournal bool
	// KeepScratch keeps intermediate and temporary files after a
	// successful job, for debugging.
	KeepScratch bool
	// SkipBadInputs makes a map task that fails more than MaxFailures
	// times be skipped, its input left out, instead of failing the job.
	SkipBadInputs bool
	// Logger receives the coordinator's logs; nil discards them.
	Logger *slog.Logger
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	setDefault(&c.NReduce, DefaultNReduce)
	setDefault(&c.Lease, DefaultLease)
	setDefault(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	setDefault(&c.TaskTimeout, DefaultTaskTimeout)
	setDefault(&c.PollTimeout, DefaultPollTimeout)
	setDefault(&c.ExitGrace, DefaultExitGrace)
	setDefault(&c.MaxFailures, DefaultMaxFailures)
	setDefault(&c.BackupFactor, DefaultBackupFactor)
	setDefault(&c.BackupMinAge, DefaultBackupMinAge)
	if c.Dir == "" {
		c.Dir = "."
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

func setDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

// validate returns one error per bad field.
func (c Config) validate() error {
	var errs []error
	if len(c.Inputs) == 0 {
		errs = append(errs, errors.New("no input files"))
	}
	if c.NReduce < 1 {
		errs = append(errs, fmt.Errorf("nreduce must be at least 1, got %d", c.NReduce))
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{
		{"lease", c.Lease}, {"heartbeat interval", c.HeartbeatInterval},
		{"task timeout", c.TaskTimeout}, {"poll timeout", c.PollTimeout},
		{"exit grace", c.ExitGrace}, {"backup min age", c.BackupMinAge},
	} {
		if d.value < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %v", d.name, d.value))
		}
	}
	if c.SplitSize < 0 {
		errs = append(errs, fmt.Errorf("split size must not be negative, got %d", c.SplitSize))
	}
	if c.HeartbeatInterval >= c.Lease {
		errs = append(errs, fmt.Errorf("heartbeat interval %v must be shorter than the lease %v",
			c.HeartbeatInterval, c.Lease))
	}
	return errors.Join(errs...)
}

// policy returns the table rules the config asks for.
func (c Config) policy() policy {
	return policy{
		lease:         c.Lease,
		hardLimit:     c.TaskTimeout,
		maxFailures:   max(c.MaxFailures, 0),
		backupFactor:  max(c.BackupFactor, 0),
		backupMinAge:  c.BackupMinAge,
		skipBadInputs: c.SkipBadInputs,
	}
}
