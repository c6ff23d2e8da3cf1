// Command mrworker loads a MapReduce application plugin, or runs commands
// as mapper and reducer, and runs tasks for a coordinator until the job is
// done.
//
//	mrworker [-addr ADDR] APP.so
//	mrworker [-addr ADDR] -mapper CMD -reducer CMD [-combiner CMD]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"6.5840/mr/appflags"
	"6.5840/mr/cli"
	"6.5840/mr/memtune"
	"6.5840/mr/tlsconf"
	"6.5840/mr/transport"
	"6.5840/mr/worker"
)

const (
	prog = "mrworker"
	// noCombineEnv, set to 1, turns the combiner off like -no-combine.
	noCombineEnv = "MR_NO_COMBINE"
	// gcPercent is the worker's GOGC unless $GOGC is set. A task's heap
	// is mostly short-lived (the input, Map's pairs, the values of one
	// key), so the collector is held back until the heap is many times
	// what survived the last collection, or the memory limit is near:
	// with live heaps of tens of MB the limit decides, with huge ones
	// this proportion does.
	gcPercent = 1000
	// memoryPerSortBuffer and minMemoryLimit make the floor of the
	// worker's soft memory limit, unless $GOMEMLIMIT is set:
	// memoryPerSortBuffer times -sort-buffer, at least minMemoryLimit
	// (512 MiB for the default 64 MiB), room for the input, Map's output
	// and the sort buffer. The limit follows a live heap that outgrows
	// it (memtune), so that a Map holding more than that slows down to
	// the default collector's pace rather than to a collection per
	// allocation. docs/PERFORMANCE.md has the figures behind the value.
	memoryPerSortBuffer = 8
	minMemoryLimit      = 512 << 20
	// shutdownGrace is how long an interrupted worker waits for its
	// running task to notice before it exits anyway.
	shutdownGrace = time.Second
)

// options are the flags that are not the worker's Config.
type options struct {
	addr, secretFile string
	tlsFiles         *tlsconf.Files
	app              *appflags.Flags
	noCombine        bool
	verbose          bool
	logFormat        string
	cpuProfile       string
}

func main() {
	cfg, opts := parseFlags()
	logger, err := cli.NewLogger(os.Stderr, opts.logFormat, opts.verbose)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	cfg.Logger = logger
	cfg.App, cfg.AppID, err = opts.app.Load(flag.Arg(0), logger)
	switch {
	case errors.Is(err, appflags.ErrBadCommand):
		cli.Fatal(prog, cli.ExitUsage, err)
	case err != nil:
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	if opts.noCombine {
		cfg.App.Combine, cfg.App.CombineTask = nil, nil
	}
	w, err := worker.New(cfg)
	if err != nil {
		cli.Fatal(prog, exitCode(err), err)
	}
	tuneMemory(cfg.SortBuffer)
	if opts.cpuProfile != "" {
		stopProfile, err := cli.StartCPUProfile(opts.cpuProfile)
		if err != nil {
			cli.Fatal(prog, cli.ExitUsage, err)
		}
		defer stopProfile()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopOnSignal(cancel)
	err = w.Run(ctx)
	switch {
	case ctx.Err() != nil:
		cli.Fatal(prog, cli.ExitFailure, errors.New("interrupted"))
	case err == nil:
	case worker.ExitOf(err) == worker.ExitCoordinatorGone:
		// The coordinator went away after we had worked for it: it most
		// likely finished the job while this worker was busy.
		logger.Warn("coordinator gone; exiting", "err", err)
	default:
		cli.Fatal(prog, exitCode(err), err)
	}
}

// exitCode is the exit status for err, from worker.New or Worker.Run.
func exitCode(err error) int {
	if worker.ExitOf(err) == worker.ExitBadConfig {
		return cli.ExitUsage
	}
	return cli.ExitFailure
}

// parseFlags returns the worker's Config, checked, and the other options
// from the command line, or exits 2 for a bad one.
func parseFlags() (worker.Config, options) {
	cfg := worker.DefaultConfig()
	var opts options
	flag.StringVar(&opts.addr, "addr", "", "coordinator address: a Unix socket path or tcp:HOST:PORT (default $"+transport.AddrEnv+", else "+transport.DefaultDir+"/5840-mr-UID, the MIT 6.5840 lab's)")
	flag.DurationVar(&cfg.RetryWindow, "retry-window", cfg.RetryWindow, "how long to keep trying an unreachable coordinator before exiting")
	flag.DurationVar(&cfg.StuckGrace, "stuck-grace", cfg.StuckGrace, "how long a plugin's Map or Reduce may run on after its attempt was revoked before the worker exits 1 (it cannot stop them) so that a fresh worker takes its place; streaming commands are killed at once")
	flag.BoolVar(&opts.verbose, "v", false, "log debug messages")
	flag.StringVar(&opts.logFormat, "log-format", cli.FormatText, "log format: text or json")
	flag.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the worker to this file")
	sortBuffer := cli.ByteSize(cfg.SortBuffer)
	flag.Var(&sortBuffer, "sort-buffer", "map output kept in memory before sorted runs spill to disk")
	segmentMax := cli.ByteSize(cfg.SegmentMax)
	flag.Var(&segmentMax, "segment-max", "map outputs up to this size go, one after another, into one segment file per worker in the shared folder instead of a file each (0: a file each; a worker that serves its map outputs keeps a file each)")
	flag.BoolVar(&opts.noCombine, "no-combine", os.Getenv(noCombineEnv) == "1", "do not use the plugin's Combine (or the -combiner) even if it has one (default from $"+noCombineEnv+"=1)")
	flag.StringVar(&opts.secretFile, "secret-file", "", "file whose whole content is the job's shared secret (required with -addr tcp:...; at least 16 bytes, mode 0600)")
	flag.StringVar(&cfg.LocalDir, "local-dir", "", "where this worker keeps its map output (default: the working folder); with -addr tcp:... it is served to other workers")
	opts.tlsFiles = cli.TLSFlags(flag.CommandLine)
	flag.StringVar(&cfg.Serve, "serve", "", "HOST:PORT to serve map output on, with -addr tcp:... (default: an ephemeral port on the address the coordinator is reached from; :PORT listens on every address and advertises that one)")
	opts.app = appflags.Register(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] APP.so\n       %s [flags] -mapper CMD -reducer CMD [-combiner CMD]\n", prog, prog)
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.SortBuffer = int64(sortBuffer)
	cfg.SegmentMax = int64(segmentMax)
	switch {
	case opts.app.Streaming() && flag.NArg() != 0:
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("-mapper and -reducer take the place of a plugin file: give one or the other"))
	case !opts.app.Streaming() && flag.NArg() != 1:
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("need exactly one plugin file, or -mapper and -reducer"))
	}
	var err error
	if cfg.Addr, err = transport.ResolveAddr(opts.addr); err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	if cfg.Secret, err = cli.Secret(cfg.Addr, opts.secretFile); err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	if cfg.TLS, err = cli.TLS(cfg.Addr, *opts.tlsFiles); err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	if err := cfg.Validate(); err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	return cfg, opts
}

// tuneMemory holds the collector back (gcPercent) and keeps a soft memory
// limit of at least the sort buffer's share, unless $GOGC or $GOMEMLIMIT
// says otherwise.
func tuneMemory(sortBuffer int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		memtune.Follow(max(minMemoryLimit, memoryPerSortBuffer*sortBuffer))
	}
}

// stopOnSignal has SIGINT and SIGTERM cancel the run, and exit 1 if the
// running task has not noticed within shutdownGrace: Map or Reduce may
// not return soon, and the coordinator hands an abandoned attempt to
// another worker anyway.
func stopOnSignal(cancel context.CancelFunc) {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		cancel()
		time.Sleep(shutdownGrace)
		cli.Fatal(prog, cli.ExitFailure, fmt.Errorf("stopped by %v while running a task", sig))
	}()
}
