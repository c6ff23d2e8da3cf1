package scale

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Defaults of the Config that DefaultConfig returns.
const (
	DefaultWorkers = 100
	DefaultMaps    = 10_000
	DefaultNReduce = 100
	// DefaultConns is a worker's connections: one for its calls and one
	// for its heartbeats, as mr/worker has.
	DefaultConns = 2
	// DefaultMaxDialing bounds the handshakes in flight: half of the
	// coordinator's 64, so that it never drops one to make room.
	DefaultMaxDialing = 32
	DefaultTimeout    = 15 * time.Minute
	// DefaultMaxCoordinatorRSS is the resident size past which the
	// coordinator is killed: the machine is shared, and a run that needs
	// more has already answered the question.
	DefaultMaxCoordinatorRSS = 6 << 30
	// DefaultMaxSimulatorRSS is the resident size of this process past
	// which the run is stopped, for the same reason.
	DefaultMaxSimulatorRSS = 6 << 30
	// DefaultCallTimeout bounds one call that does not long-poll.
	DefaultCallTimeout = 30 * time.Second
)

// Config describes one simulated run.
type Config struct {
	// Coordinator is the path of the mrcoordinator binary.
	Coordinator string
	// Workers, Maps and NReduce are the cluster's and the job's size.
	Workers int
	Maps    int
	NReduce int
	// TaskTime is how long an attempt "runs", heartbeating meanwhile.
	TaskTime time.Duration
	// DropWorker, if positive, is the simulated worker (1-based) whose
	// connections are dropped when it receives its DropAfter-th task.
	DropWorker int
	DropAfter  int
	// Conns is how many connections each worker has: 2 (calls and
	// heartbeats apart, as mr/worker has) or 1 (heartbeats on the calls'
	// connection), which halves the descriptors a run needs.
	Conns int
	// MaxDialing bounds the connection handshakes in flight.
	MaxDialing int
	// Timeout bounds the whole run.
	Timeout time.Duration
	// CallTimeout bounds each call beyond its long-poll.
	CallTimeout time.Duration
	// MaxCoordinatorRSS is the coordinator's resident size, in bytes, at
	// which it is killed and the run fails.
	MaxCoordinatorRSS int64
	// MaxSimulatorRSS is this process's resident size, in bytes, at which
	// the coordinator is killed and the run fails.
	MaxSimulatorRSS int64
	// HTTPAddr, if set, is passed to the coordinator as -http (its
	// status page and /debug/pprof/), e.g. 127.0.0.1:6060.
	HTTPAddr string
	// ExtraArgs are more flags for the coordinator.
	ExtraArgs []string
	// Dir is where the job's temporary folder is made; "" means the
	// system's.
	Dir string
	// Keep leaves the job folder (the coordinator's log) in place.
	Keep bool
	// Progress, if set, receives a line now and then.
	Progress func(string)
	// Started, if set, is called with the coordinator's process once it
	// started (a test kills it in its cleanup).
	Started func(*os.Process)
}

// DefaultConfig returns a Config with every field at its default but
// Coordinator.
func DefaultConfig() Config {
	return Config{
		Workers:           DefaultWorkers,
		Maps:              DefaultMaps,
		NReduce:           DefaultNReduce,
		MaxDialing:        DefaultMaxDialing,
		Conns:             DefaultConns,
		Timeout:           DefaultTimeout,
		CallTimeout:       DefaultCallTimeout,
		MaxCoordinatorRSS: DefaultMaxCoordinatorRSS,
		MaxSimulatorRSS:   DefaultMaxSimulatorRSS,
	}
}

// maxWorkers is how many workers get a loopback address of their own
// (sourceAddr): the addresses of 127.1.0.0/16 and up, short of 127.255.
const maxWorkers = 254 << 16

// Validate returns one error per bad field.
func (c Config) Validate() error {
	var errs []error
	if c.Coordinator == "" {
		errs = append(errs, errors.New("no mrcoordinator binary given"))
	}
	for _, f := range []struct {
		name  string
		value int
	}{{"-workers", c.Workers}, {"-maps", c.Maps}, {"-nreduce", c.NReduce}, {"max dialing", c.MaxDialing}} {
		if f.value < 1 {
			errs = append(errs, fmt.Errorf("%s must be at least 1, got %d", f.name, f.value))
		}
	}
	if c.Conns < 1 || c.Conns > DefaultConns {
		errs = append(errs, fmt.Errorf("-conns must be 1 or %d, got %d", DefaultConns, c.Conns))
	}
	if c.Workers > maxWorkers {
		errs = append(errs, fmt.Errorf("-workers must be at most %d, got %d", maxWorkers, c.Workers))
	}
	if c.DropWorker < 0 || c.DropWorker > c.Workers {
		errs = append(errs, fmt.Errorf("-drop must be between 0 and -workers (%d), got %d", c.Workers, c.DropWorker))
	}
	if c.DropWorker > 0 && c.DropAfter < 1 {
		errs = append(errs, fmt.Errorf("-drop-after must be at least 1, got %d", c.DropAfter))
	}
	for _, d := range []struct {
		name  string
		value time.Duration
	}{{"-task-time", c.TaskTime}, {"-timeout", c.Timeout}, {"call timeout", c.CallTimeout}} {
		if d.value < 0 || (d.value == 0 && d.name != "-task-time") {
			errs = append(errs, fmt.Errorf("%s must be positive, got %v", d.name, d.value))
		}
	}
	if c.MaxCoordinatorRSS < 1 || c.MaxSimulatorRSS < 1 {
		errs = append(errs, fmt.Errorf("RSS limits must be positive, got %d and %d", c.MaxCoordinatorRSS, c.MaxSimulatorRSS))
	}
	return errors.Join(errs...)
}
