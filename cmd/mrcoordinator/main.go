// Command mrcoordinator runs a MapReduce job over the input files: it hands
// map tasks (one per input) and then reduce tasks to workers, and exits
// when every mr-out-R file is final.
//
//	mrcoordinator [flags] INPUT...
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"6.5840/mr/auth"
	"6.5840/mr/cli"
	"6.5840/mr/coordinator"
	"6.5840/mr/jobfiles"
	"6.5840/mr/netguard"
	"6.5840/mr/s3"
	"6.5840/mr/status"
	"6.5840/mr/tlsconf"
	"6.5840/mr/transport"
)

const (
	prog = "mrcoordinator"
	// terminalRefresh and plainRefresh are how often progress is shown on
	// a terminal (redrawn in place) and elsewhere (one line each).
	terminalRefresh = 250 * time.Millisecond
	plainRefresh    = 5 * time.Second
	// defaultReport is the default base name of the job report files.
	defaultReport = "mr-report"
	// statusReadHeaderTimeout bounds the wait for a status request's
	// headers, and statusIdleTimeout a kept-alive connection's wait for
	// its next request.
	statusReadHeaderTimeout = 10 * time.Second
	statusIdleTimeout       = 30 * time.Second
	// statusMaxConns caps the status server's open connections, and
	// statusMaxQuiet those of them without a request in progress (past
	// it the oldest is closed): a page needs one or two per browser.
	statusMaxConns = 64
	statusMaxQuiet = 32
	// statusMaxHeaderBytes bounds a status request's headers.
	statusMaxHeaderBytes = 8 << 10
	// gcPercent is the coordinator's GOGC unless $GOGC is set. Most of
	// its heap is the job's state, which lives as long as the job (a
	// million tasks' rows and attempt records, ten thousand connections'
	// buffers), and little is garbage: the default, which lets the heap
	// grow to twice what survived a collection, would hold that state
	// twice over. docs/PERFORMANCE.md has the figures behind the value.
	gcPercent = 50
)

// options are the flags beyond the coordinator's Config.
type options struct {
	addr       string
	secretFile string
	tlsFiles   *tlsconf.Files
	httpAddr   string
	report     string
	quiet      bool
	verbose    bool
	logFormat  string
	cpuProfile string
	debugToken bool
}

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	cfg, opts := parseFlags()
	if opts.debugToken {
		printDebugToken(opts.secretFile)
		return
	}
	out := cli.NewStatusWriter(os.Stderr, cli.IsTerminal(os.Stderr))
	logger, err := cli.NewLogger(out, opts.logFormat, opts.verbose)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	cfg.Logger = logger
	if s3.IsLocation(opts.report) {
		if loc, err := s3.ParseLocation(opts.report); err != nil || loc.IsPrefix() {
			cli.Fatal(prog, cli.ExitUsage, fmt.Errorf("-report %s: want s3://BUCKET/KEY, the report's name without .json or .html", opts.report))
		}
	}
	if cfg.UsesBucket() || s3.IsLocation(opts.report) {
		if cfg.S3, err = bucketClient(); err != nil {
			cli.Fatal(prog, cli.ExitUsage, err)
		}
	}
	if opts.cpuProfile != "" {
		stopProfile, err := cli.StartCPUProfile(opts.cpuProfile)
		if err != nil {
			cli.Fatal(prog, cli.ExitUsage, err)
		}
		defer stopProfile()
	}
	c, l := start(cfg, opts, logger)
	defer l.Close()
	stopProgress := showProgress(out, c, opts.quiet)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	select {
	case <-c.Done():
	case sig := <-signals:
		// A stopped job ends as a failed one: what it committed is kept,
		// its outputs hidden, and Finish says how to resume.
		c.Abort(fmt.Errorf("stopped by %v before the job was done", sig))
		l.Close()
		stopProgress()
		if err := c.Finish(); err != nil {
			cli.Fatal(prog, cli.ExitFailure, err)
		}
		logger.Info("job done", "outputs", fmt.Sprintf("mr-out-0..mr-out-%d", cfg.NReduce-1))
		return
	}
	c.WaitForWorkers()
	l.Close()
	stopProgress()
	writeReport(opts.report, c, cfg.S3, logger)

	if err := c.Finish(); err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	if skipped := c.Skipped(); len(skipped) > 0 {
		fmt.Fprintf(os.Stderr, "%s: job done WITHOUT these inputs, whose map tasks kept failing: %v\n", prog, skipped)
	}
	logger.Info("job done", "outputs", outputsName(cfg))
}

// outputsName names the job's outputs for the last log line.
func outputsName(cfg coordinator.Config) string {
	return fmt.Sprintf("%smr-out-0..mr-out-%d", cfg.Output, cfg.NReduce-1)
}

// start checks the address, secret and TLS flags, starts the coordinator
// and serves it on its address, and the status page if asked for. It
// exits with a message naming what is wrong.
func start(cfg coordinator.Config, opts options, logger *slog.Logger) (*coordinator.Coordinator, net.Listener) {
	addr, err := transport.ResolveAddr(opts.addr)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	secret, err := cli.Secret(addr, opts.secretFile)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	tlsConf, err := cli.TLS(addr, *opts.tlsFiles)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	c, err := coordinator.New(cfg)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, err)
	}
	l, err := transport.ListenAuthenticated(addr, secret, tlsConf, logger)
	if err != nil {
		cli.Fatal(prog, cli.ExitFailure, err)
	}
	go c.Serve(l)
	listening := addr
	if addr.Network == "tcp" {
		listening.Address = l.Addr().String() // the port, if it was 0
	}
	logger.Info("coordinator listening", "addr", listening.String(), "maps", c.Progress().Maps, "reduces", cfg.NReduce, "tls", tlsConf != nil)
	if opts.httpAddr != "" {
		if err := serveStatus(opts.httpAddr, c, secret, tlsConf); err != nil {
			cli.Fatal(prog, cli.ExitUsage, err)
		}
	}
	return c, l
}

// bucketClient returns a client of S3 (or a compatible server) set up
// from the environment as the AWS CLI is: AWS_ACCESS_KEY_ID and friends,
// AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL.
func bucketClient() (*s3.Client, error) {
	cfg, err := s3.FromEnv(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	return s3.New(cfg)
}

// showProgress shows the job's progress on out, unless quiet, until the
// function it returns is called.
func showProgress(out *cli.StatusWriter, c *coordinator.Coordinator, quiet bool) (stop func()) {
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(done)
		if quiet {
			return
		}
		interval := plainRefresh
		if cli.IsTerminal(os.Stderr) {
			interval = terminalRefresh
		}
		out.ShowStatus(ctx, interval, func() string { return status.ProgressLine(c.ProgressSnapshot(), time.Now()) })
	}()
	return func() {
		cancel()
		<-done
	}
}

func parseFlags() (coordinator.Config, options) {
	cfg := coordinator.DefaultConfig()
	var opts options
	flag.StringVar(&opts.addr, "addr", "", "address to listen on: a Unix socket path or tcp:HOST:PORT (default $"+transport.AddrEnv+", else "+transport.DefaultDir+"/5840-mr-UID, the MIT 6.5840 lab's)")
	flag.StringVar(&opts.secretFile, "secret-file", "", "file whose whole content is the job's shared secret (required with -addr tcp:...; at least 16 bytes, mode 0600)")
	opts.tlsFiles = cli.TLSFlags(flag.CommandLine)
	flag.StringVar(&cfg.Output, "output", "", "write mr-out-R to PREFIX/mr-out-R in a bucket, s3://BUCKET/PREFIX/ (default: the working folder); credentials and endpoint from the AWS_* environment variables or profile")
	flag.IntVar(&cfg.NReduce, "nreduce", cfg.NReduce, "number of reduce tasks (and mr-out-* files)")
	flag.DurationVar(&cfg.TaskTimeout, "task-timeout", cfg.TaskTimeout, "the most one attempt may run, heartbeats or not (0: no limit)")
	flag.DurationVar(&cfg.Lease, "lease", cfg.Lease, "how long a running attempt lives without a heartbeat")
	flag.IntVar(&cfg.MaxFailures, "max-failures", cfg.MaxFailures, "failed or lost attempts (or lost map outputs) a task survives before the job fails (0: none; negative: no limit); a lost lease counts only if its worker stays silent for a further lease")
	var splitSize cli.ByteSize
	flag.Var(&splitSize, "split-size", "cut input files larger than this (e.g. 64MiB) into map tasks of about this size, at line boundaries; 0: one map task per file")
	backups := flag.Bool("backup", true, "run backup attempts of stragglers near the end of each phase")
	flag.DurationVar(&cfg.BackupMinAge, "backup-min-age", cfg.BackupMinAge, "the least time an attempt runs before it may get a backup attempt")
	useJournal := flag.Bool("journal", true, "journal commits to "+jobfiles.Journal+" so that the same command, run again after a crash or a failure, resumes the job")
	flag.BoolVar(&cfg.KeepScratch, "keep", false, "keep intermediate files after the job, for debugging")
	flag.BoolVar(&cfg.SkipBadInputs, "skip-bad-inputs", false, "leave out an input whose map task fails more than -max-failures times, instead of failing the job")
	flag.BoolVar(&cfg.TotalOrder, "total-order", false, "sort across outputs: sample the keys first and range-partition by them, so that mr-out-0, mr-out-1, ... in order are one sorted sequence (refuses a plugin that exports Partition)")
	flag.StringVar(&opts.httpAddr, "http", "", "serve a live status page on this address, e.g. localhost:8080 (off by default)")
	flag.StringVar(&opts.report, "report", defaultReport, "write the job report to this path plus .json and .html, or put it in a bucket, s3://BUCKET/KEY plus .json and .html; empty: no report")
	flag.BoolVar(&opts.quiet, "q", false, "do not show progress")
	flag.BoolVar(&opts.verbose, "v", false, "log debug messages")
	flag.StringVar(&opts.logFormat, "log-format", cli.FormatText, "log format: text or json")
	flag.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the coordinator to this file")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] INPUT...\n", prog)
		flag.PrintDefaults()
	}
	flag.BoolVar(&opts.debugToken, "debug-token", false, "print the token of the status page's details and debug pages (header "+status.DebugTokenHeader+"), derived from -secret-file, and exit")
	flag.Parse()
	if opts.debugToken {
		return cfg, opts
	}
	if flag.NArg() == 0 {
		flag.Usage()
		cli.Fatal(prog, cli.ExitUsage, errors.New("no input files"))
	}
	cfg.Inputs = flag.Args()
	if !*backups {
		cfg.BackupFactor = 0
	}
	cfg.NoJournal = !*useJournal
	cfg.SplitSize = int64(splitSize)
	return cfg, opts
}

// serveStatus serves the status page on addr in the background. On a
// loopback address everything is open. Elsewhere the debug pages
// (profiles, variables, the command line) need the debug token derived
// from the secret (status.DebugAccess); the page is HTTPS if the job uses
// TLS, with the coordinator's certificate and none asked of the browser,
// and without TLS it shows strangers the progress view only, keeping the
// details for loopback clients and the token (status.DetailAccess).
// Snapshots are taken at most once a second however many requests come,
// and the server caps its connections and times out idle ones.
func serveStatus(addr string, c *coordinator.Coordinator, secret auth.Secret, tlsConf *tlsconf.Config) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("-http %s: %w", addr, err)
	}
	token := secret.Token(auth.PurposeDebug)
	debugAllowed := status.DebugAccess(l.Addr(), token)
	useTLS := debugAllowed != nil && tlsConf != nil
	detailAllowed := status.DetailAccess(l.Addr(), token, useTLS)
	scheme := "http"
	l = netguard.LimitListener(l, statusMaxConns)
	if useTLS {
		l = tls.NewListener(l, tlsConf.PageServer())
		scheme = "https"
	}
	srv := &http.Server{
		Handler:           status.NewGuardedHandler(status.Cached(c.Snapshot, status.DefaultMaxAge), debugAllowed, detailAllowed),
		ReadHeaderTimeout: statusReadHeaderTimeout,
		IdleTimeout:       statusIdleTimeout,
		MaxHeaderBytes:    statusMaxHeaderBytes,
		ConnState:         netguard.NewIdleCap(statusMaxQuiet, nil).ConnState,
	}
	go srv.Serve(l)
	c.Logger().Info("status page", "url", scheme+"://"+l.Addr().String()+"/", "details", detailAllowed == nil)
	return nil
}

// printDebugToken prints the debug token derived from the secret in file
// and returns, or exits 2 naming the file if it cannot be read.
func printDebugToken(file string) {
	if file == "" {
		cli.Fatal(prog, cli.ExitUsage, errors.New("-debug-token needs -secret-file FILE"))
	}
	secret, err := auth.LoadSecret(file)
	if err != nil {
		cli.Fatal(prog, cli.ExitUsage, fmt.Errorf("-secret-file: %w", err))
	}
	fmt.Println(secret.Token(auth.PurposeDebug))
}

// writeReport writes the job report, if asked for; a failure to write it
// is logged, not fatal: the job's outputs matter more.
func writeReport(path string, c *coordinator.Coordinator, client *s3.Client, logger *slog.Logger) {
	if path == "" {
		return
	}
	if s3.IsLocation(path) {
		if err := putReport(path, c, client); err != nil {
			fmt.Fprintf(os.Stderr, "%s: job report: %v\n", prog, err)
			return
		}
		logger.Info("job report written", "json", path+status.JSONExt, "html", path+status.HTMLExt)
		return
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	jsonPath, htmlPath, err := status.WriteReport(dir, base, c.Snapshot())
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: job report: %v\n", prog, err)
		return
	}
	logger.Info("job report written", "json", jsonPath, "html", htmlPath)
}

// putReport puts the job report in a bucket, at path (s3://BUCKET/KEY)
// plus .json and .html.
func putReport(path string, c *coordinator.Coordinator, client *s3.Client) error {
	loc, err := s3.ParseLocation(path) // checked at start
	if err != nil {
		return err
	}
	data, page, err := status.EncodeReport(c.Snapshot())
	if err != nil {
		return err
	}
	for _, f := range []struct {
		ext  string
		data []byte
	}{{status.JSONExt, data}, {status.HTMLExt, page}} {
		if _, err := client.PutObject(context.Background(), loc.Bucket, loc.Key+f.ext, f.data, s3.PutOptions{}); err != nil {
			return err
		}
	}
	return nil
}
