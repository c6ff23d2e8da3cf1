// Command mrcoordinator runs a MapReduce job over the input files: it hands
// map tasks (one per input) and then reduce tasks to workers, and exits
// when every mr-out-R file is final.
//
//	mrcoordinator [flags] INPUT...
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"6.5840/mr/cli"
	"6.5840/mr/coordinator"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
)

const prog = "mrcoordinator"

func main() {
	var cfg coordinator.Config
	addrFlag := flag.String("addr", "", "address to listen on: a Unix socket path or tcp:HOST:PORT (default $"+protocol.AddrEnv+", else a per-user socket)")
	flag.IntVar(&cfg.NReduce, "nreduce", coordinator.DefaultNReduce, "number of reduce tasks (and mr-out-* files)")
	flag.DurationVar(&cfg.TaskTimeout, "task-timeout", coordinator.DefaultTaskTimeout, "the most one attempt may run, heartbeats or not")
	flag.DurationVar(&cfg.Lease, "lease", coordinator.DefaultLease, "how long a running attempt lives without a heartbeat")
	flag.IntVar(&cfg.MaxFailures, "max-failures", coordinator.DefaultMaxFailures, "failed or lost attempts a task survives before the job fails (negative: no limit)")
	var splitSize cli.ByteSize
	flag.Var(&splitSize, "split-size", "cut input files larger than this (e.g. 64MiB) into map tasks of about this size, at line boundaries; 0: one map task per file")
	backups := flag.Bool("backup", true, "run backup attempts of stragglers near the end of each phase")
	useJournal := flag.Bool("journal", true, "journal commits to "+jobfiles.Journal+" so that a restarted coordinator resumes the job")
	flag.BoolVar(&cfg.KeepScratch, "keep", false, "keep intermediate files after the job, for debugging")
	flag.BoolVar(&cfg.SkipBadInputs, "skip-bad-inputs", false, "leave out an input whose map task fails more than -max-failures times, instead of failing the job")
	verbose := flag.Bool("v", false, "log debug messages")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] INPUT...\n", prog)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("no input files"))
	}
	cfg.Inputs = flag.Args()
	if !*backups {
		cfg.BackupFactor = -1
	}
	cfg.NoJournal = !*useJournal
	cfg.SplitSize = int64(splitSize)
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = cli.NewLogger(level)

	addr, err := protocol.ResolveAddr(*addrFlag)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	c, err := coordinator.New(cfg)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	l, err := protocol.Listen(addr)
	if err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	defer l.Close()
	go c.Serve(l)
	cfg.Logger.Info("coordinator listening", "addr", addr.String(), "maps", len(cfg.Inputs), "reduces", cfg.NReduce)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	select {
	case <-c.Done():
	case sig := <-signals:
		l.Close()
		cli.Fatal(prog, cli.ExitFailure, fmt.Errorf("stopped by %v before the job was done; "+
			"run the same command again to resume it", sig))
	}
	c.WaitForWorkers()
	l.Close()
	if err := c.Finish(); err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	if skipped := c.Skipped(); len(skipped) > 0 {
		fmt.Fprintf(os.Stderr, "%s: job done WITHOUT these inputs, whose map tasks kept failing: %v\n", prog, skipped)
	}
	cfg.Logger.Info("job done", "outputs", fmt.Sprintf("mr-out-0..mr-out-%d", cfg.NReduce-1))
}
