package coordinator

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/s3"
)

// Defaults of the Config that DefaultConfig returns.
const (
	DefaultNReduce           = 10
	DefaultLease             = 2 * time.Second
	DefaultHeartbeatInterval = 250 * time.Millisecond
	DefaultTaskTimeout       = 10 * time.Minute
	DefaultPollTimeout       = time.Second
	DefaultExitGrace         = 2 * time.Second
	DefaultMaxFailures       = 4
	DefaultBackupFactor      = table.DefaultBackupFactor
	DefaultBackupMinAge      = table.DefaultBackupMinAge
	// DefaultSampleBytes is how much of an input a sample task maps.
	DefaultSampleBytes = 4 << 20
)

// Config describes a job and how the coordinator runs it.
type Config struct {
	// Inputs are the input files, one map task each, passed to Map as
	// given: paths, s3://BUCKET/KEY for one object, s3://BUCKET/PREFIX/
	// for every object under PREFIX/ (each passed to Map as
	// s3://BUCKET/KEY).
	Inputs []string
	// Output, if set, is where the reduce outputs go instead of Dir: a
	// prefix in a bucket, s3://BUCKET/PREFIX/, which gets PREFIX/mr-out-R.
	Output string
	// S3 is the client of the inputs and the Output in a bucket; it is
	// required when there are any.
	S3 *s3.Client
	// NReduce is the number of reduce tasks and output files.
	NReduce int
	// Lease is how long a running attempt lives without a heartbeat before
	// it is revoked and its task handed out again.
	Lease time.Duration
	// HeartbeatInterval is how often workers are told to heartbeat; it
	// must be well under Lease.
	HeartbeatInterval time.Duration
	// TaskTimeout is the most an attempt may run, heartbeats or not; zero
	// means no limit.
	TaskTimeout time.Duration
	// PollTimeout bounds how long GetTask waits for a task to be free.
	PollTimeout time.Duration
	// ExitGrace bounds how long, after the job, the coordinator waits for
	// polling workers to be told to exit.
	ExitGrace time.Duration
	// MaxFailures is how many failed or lost attempts (or lost outputs)
	// one task survives; one more fails the job. Zero fails the job at the
	// first failure; negative means no limit.
	MaxFailures int
	// BackupFactor enables backup attempts of stragglers when positive;
	// zero or negative disables them.
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
	// TotalOrder makes the job's outputs, mr-out-0 to mr-out-(NReduce-1)
	// read in order, one sequence sorted by key: a sampling phase picks
	// split points that every map task range-partitions by (see
	// sampling.go). An application that exports Partition is refused.
	TotalOrder bool
	// SampleBytes is how much of each sampled input a sample task maps,
	// cut at a line boundary, under TotalOrder.
	SampleBytes int64
	// Logger receives the coordinator's logs; nil discards them.
	Logger *slog.Logger
}

// DefaultConfig returns a Config with every field at its default; a
// caller sets Inputs and whatever else it wants to differ. New takes the
// values as they are: zero is a value, not "the default".
func DefaultConfig() Config {
	return Config{
		NReduce:           DefaultNReduce,
		Lease:             DefaultLease,
		HeartbeatInterval: DefaultHeartbeatInterval,
		TaskTimeout:       DefaultTaskTimeout,
		PollTimeout:       DefaultPollTimeout,
		ExitGrace:         DefaultExitGrace,
		MaxFailures:       DefaultMaxFailures,
		BackupFactor:      DefaultBackupFactor,
		BackupMinAge:      DefaultBackupMinAge,
		SampleBytes:       DefaultSampleBytes,
	}
}

// withFallbacks returns c with a Dir and a Logger if it has none.
func (c Config) withFallbacks() Config {
	if c.Dir == "" {
		c.Dir = "."
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// validate returns one error per bad field.
func (c Config) validate() error {
	var errs []error
	if len(c.Inputs) == 0 {
		errs = append(errs, errors.New("no input files"))
	}
	if c.NReduce < 1 {
		errs = append(errs, fmt.Errorf("-nreduce must be at least 1, got %d", c.NReduce))
	}
	for _, d := range []struct {
		name     string
		value    time.Duration
		positive bool
	}{
		{"-lease", c.Lease, true}, {"heartbeat interval", c.HeartbeatInterval, true},
		{"-task-timeout", c.TaskTimeout, false}, {"poll timeout", c.PollTimeout, true},
		{"exit grace", c.ExitGrace, false}, {"-backup-min-age", c.BackupMinAge, false},
	} {
		switch {
		case d.positive && d.value <= 0:
			errs = append(errs, fmt.Errorf("%s must be positive, got %v", d.name, d.value))
		case d.value < 0:
			errs = append(errs, fmt.Errorf("%s must not be negative, got %v", d.name, d.value))
		}
	}
	if c.TotalOrder && c.SampleBytes <= 0 {
		errs = append(errs, fmt.Errorf("sample bytes must be positive under -total-order, got %d", c.SampleBytes))
	}
	if c.Output != "" && !s3.IsLocation(c.Output) {
		errs = append(errs, fmt.Errorf("-output takes a prefix in a bucket, s3://BUCKET/PREFIX/, got %q", c.Output))
	}
	if c.S3 == nil && c.UsesBucket() {
		errs = append(errs, errors.New("inputs or -output in a bucket (s3://...) need an S3 client"))
	}
	if c.SplitSize < 0 {
		errs = append(errs, fmt.Errorf("-split-size must not be negative, got %d", c.SplitSize))
	}
	if c.HeartbeatInterval >= c.Lease && c.HeartbeatInterval > 0 {
		errs = append(errs, fmt.Errorf("heartbeat interval %v must be shorter than the lease %v",
			c.HeartbeatInterval, c.Lease))
	}
	return errors.Join(errs...)
}

// UsesBucket reports whether an input or the output is in a bucket.
func (c Config) UsesBucket() bool {
	if s3.IsLocation(c.Output) {
		return true
	}
	for _, in := range c.Inputs {
		if s3.IsLocation(in) {
			return true
		}
	}
	return false
}

// policy returns the table rules the config asks for.
func (c Config) policy() table.Policy {
	return table.Policy{
		Lease:          c.Lease,
		HardLimit:      c.TaskTimeout,
		MaxFailures:    c.MaxFailures,
		BackupFactor:   max(c.BackupFactor, 0),
		BackupMinAge:   c.BackupMinAge,
		SkipBadInputs:  c.SkipBadInputs,
		MaxStatusBytes: protocol.MaxStatusBytes,
	}
}
