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
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"6.5840/mr/appflags"
	"6.5840/mr/cli"
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
	// memoryPerSortBuffer and minMemoryLimit make the worker's soft
	// memory limit, unless $GOMEMLIMIT is set: memoryPerSortBuffer times
	// -sort-buffer, at least minMemoryLimit (768 MiB for the default
	// 64 MiB), room for the input, Map's output and the sort buffer
	// while staying well under 1 GiB of RSS.
	memoryPerSortBuffer = 12
	minMemoryLimit      = 512 << 20
	// shutdownGrace is how long an interrupted worker waits for its
	// running task to notice before it exits anyway.
	shutdownGrace = time.Second
)

func main() {
	addrFlag := flag.String("addr", "", "coordinator address: a Unix socket path or tcp:HOST:PORT (default $"+transport.AddrEnv+", else "+transport.DefaultDir+"/5840-mr-UID, the MIT 6.5840 lab's)")
	retry := flag.Duration("retry-window", worker.DefaultRetryWindow, "how long to keep trying an unreachable coordinator before exiting")
	stuckGrace := flag.Duration("stuck-grace", worker.DefaultStuckGrace, "how long Map or Reduce may run on after its attempt was revoked before the worker exits 1 (it cannot stop them) so that a fresh worker takes its place")
	verbose := flag.Bool("v", false, "log debug messages")
	logFormat := flag.String("log-format", cli.FormatText, "log format: text or json")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the worker to this file")
	sortBuffer := cli.ByteSize(worker.DefaultSortBuffer)
	flag.Var(&sortBuffer, "sort-buffer", "map output kept in memory before sorted runs spill to disk")
	noCombine := flag.Bool("no-combine", os.Getenv(noCombineEnv) == "1", "do not use the plugin's Combine (or the -combiner) even if it has one (default from $"+noCombineEnv+"=1)")
	secretFile := flag.String("secret-file", "", "file whose whole content is the job's shared secret (required with -addr tcp:...; at least 16 bytes, mode 0600)")
	localDir := flag.String("local-dir", "", "where this worker keeps its map output (default: the working folder); with -addr tcp:... it is served to other workers")
	tlsFiles := cli.TLSFlags(flag.CommandLine)
	serve := flag.String("serve", "", "HOST:PORT to serve map output on, with -addr tcp:... (default: an ephemeral port on the address the coordinator is reached from; :PORT listens on every address and advertises that one)")
	appFlags := appflags.Register(flag.CommandLine)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] APP.so\n       %s [flags] -mapper CMD -reducer CMD [-combiner CMD]\n", prog, prog)
		flag.PrintDefaults()
	}
	flag.Parse()
	switch {
	case appFlags.Streaming() && flag.NArg() != 0:
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("-mapper and -reducer take the place of a plugin file: give one or the other"))
	case !appFlags.Streaming() && flag.NArg() != 1:
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("need exactly one plugin file, or -mapper and -reducer"))
	}
	if sortBuffer <= 0 {
		cli.Fatal(prog, cli.ExitUsage, fmt.Errorf("-sort-buffer must be positive, got %d", sortBuffer))
	}
	if *stuckGrace <= 0 {
		cli.Fatal(prog, cli.ExitUsage, fmt.Errorf("-stuck-grace must be positive, got %v", *stuckGrace))
	}
	addr, err := transport.ResolveAddr(*addrFlag)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	secret, err := cli.Secret(addr, *secretFile)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	tlsConf, err := cli.TLS(addr, *tlsFiles)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	if addr.Network != "tcp" && (*serve != "" || *localDir != "") {
		cli.Fatal(prog, cli.ExitUsage, errors.New("-serve and -local-dir need -addr tcp:HOST:PORT: "+
			"on one machine map output stays in the job's folder"))
	}
	if *serve != "" {
		if _, _, err := net.SplitHostPort(*serve); err != nil {
			cli.Fatal(prog, cli.ExitUsage, fmt.Errorf("-serve %s: want HOST:PORT (:PORT listens on every address): %w", *serve, err))
		}
	}
	if *localDir != "" {
		if info, err := os.Stat(*localDir); err != nil || !info.IsDir() {
			cli.Fatal(prog, cli.ExitUsage, fmt.Errorf("-local-dir %s: not a folder", *localDir))
		}
	}
	logger, err := cli.NewLogger(os.Stderr, *logFormat, *verbose)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	a, appID, err := appFlags.Load(flag.Arg(0), logger)
	switch {
	case errors.Is(err, appflags.ErrBadCommand):
		cli.Fatal(prog, cli.ExitUsage, err)
	case err != nil:
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	if *noCombine {
		a.Combine, a.CombineTask = nil, nil
	}
	w, err := worker.New(worker.Config{
		Addr:        addr,
		Secret:      secret,
		TLS:         tlsConf,
		LocalDir:    *localDir,
		Serve:       *serve,
		App:         a,
		AppID:       appID,
		RetryWindow: *retry,
		StuckGrace:  *stuckGrace,
		SortBuffer:  int64(sortBuffer),
		Logger:      logger,
	})
	if err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(max(minMemoryLimit, memoryPerSortBuffer*int64(sortBuffer)))
	}
	if *cpuProfile != "" {
		stopProfile, err := cli.StartCPUProfile(*cpuProfile)
		if err != nil {
			cli.Fatal(prog, cli.ExitUsage, err)
		}
		defer stopProfile()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		// Map or Reduce may not return soon; the coordinator hands an
		// abandoned attempt to another worker anyway.
		sig := <-signals
		cancel()
		time.Sleep(shutdownGrace)
		cli.Fatal(prog, cli.ExitFailure, fmt.Errorf("stopped by %v while running a task", sig))
	}()
	err = w.Run(ctx)
	if ctx.Err() != nil {
		cli.Fatal(prog, cli.ExitFailure, errors.New("interrupted"))
	}
	switch {
	case err == nil:
	case errors.Is(err, worker.ErrCoordinatorUnreachable) && w.CutOff() && !errors.Is(err, worker.ErrCoordinatorGone):
		cli.Fatal(prog, cli.ExitFailure, fmt.Errorf("cut off from the coordinator at %s: abandoned the running attempt; %w", addr, err))
	case errors.Is(err, worker.ErrCoordinatorUnreachable) && w.Registered():
		// The coordinator went away after we had worked for it: it most
		// likely finished the job while this worker was busy.
		logger.Warn("coordinator gone; exiting", "err", err)
	case errors.Is(err, transport.ErrAuth):
		cli.Fatal(prog, cli.ExitFailure, fmt.Errorf("cannot authenticate with the coordinator: %w (do both use the same -secret-file, and both -tls-* or neither?)", err))
	case errors.Is(err, transport.ErrTLS):
		cli.Fatal(prog, cli.ExitFailure, fmt.Errorf("cannot set up TLS with the coordinator: %w (do both use -tls-*, with certificates signed by the same -tls-ca, and does the coordinator's name the host in -addr?)", err))
	case errors.Is(err, worker.ErrCoordinatorUnreachable):
		cli.Fatal(prog, cli.ExitFailure, fmt.Errorf("no coordinator at %s: %w (is mrcoordinator running with the same -addr or $%s?)", addr, err, transport.AddrEnv))
	default:
		cli.Fatal(prog, cli.ExitFailure, err)
	}
}
