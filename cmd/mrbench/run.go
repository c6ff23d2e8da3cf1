package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"6.5840/mr/bench/baseline"
	"6.5840/mr/bench/corpus"
	"6.5840/mr/cli"
	"6.5840/mr/status"
	"6.5840/mr/task"
)

// The environment variable that tells mrworker to ignore the application's
// Combine, for the "no combiner" run.
const noCombineEnv = "MR_NO_COMBINE"

// The streaming word count's commands, in the -examples directory.
const (
	streamMapper  = "wc_map.py"
	streamReducer = "wc_reduce.py"
)

// binaries are the programs a run needs, as absolute paths.
type binaries struct {
	coordinator, worker, sequential, wc, labwc string
	// wcstream is the compiled streaming word count
	// (examples/streaming/wcstream).
	wcstream string
	self     string // this program, for the baseline child
}

func findBinaries(dir string) (binaries, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return binaries{}, err
	}
	b := binaries{
		coordinator: filepath.Join(abs, "mrcoordinator"),
		worker:      filepath.Join(abs, "mrworker"),
		sequential:  filepath.Join(abs, "mrsequential"),
		wc:          filepath.Join(abs, "wc.so"),
		labwc:       filepath.Join(abs, "labwc.so"),
		wcstream:    filepath.Join(abs, "wcstream"),
	}
	var missing []string
	for _, p := range []string{b.coordinator, b.worker, b.sequential, b.wc, b.labwc, b.wcstream} {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("missing %s: run `make build` first (or point -bin at the directory holding them)", strings.Join(missing, ", "))
	}
	if b.self, err = os.Executable(); err != nil {
		return b, fmt.Errorf("cannot find this program to run the baseline: %w", err)
	}
	return b, nil
}

type runConfig struct {
	bins      binaries
	spec      corpus.Spec
	corpusDir string
	work      string // scratch root
	workers   int
	nReduce   int
	tiny      int
	timeout   time.Duration
	keep      bool
	skip      map[string]bool // runs not to do: sequential, combiner, nocombiner, labwc, streaming, tiny
	// examples holds the streaming word count's commands (wc_map.py,
	// wc_reduce.py).
	examples string
	env      []string // the environment of every child, without noCombineEnv
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	binDir := fs.String("bin", "bin", "directory holding mrcoordinator, mrworker, mrsequential and wc.so (make build)")
	corpusDir := fs.String("corpus", "", "corpus directory, generated if it does not hold the corpus asked for (default: a directory per size, file count and seed under $TMPDIR)")
	size := cli.ByteSize(256 << 20)
	fs.Var(&size, "size", "corpus size, e.g. 256MiB, 1GiB, 16MiB")
	files := fs.Int("files", 32, "corpus files (map tasks)")
	seed := fs.Uint64("seed", 1, "corpus seed")
	tiny := fs.Int("tiny", 2000, "tiny inputs for the scheduling-rate run (0: skip it)")
	workers := fs.Int("workers", 2, "workers of the distributed runs")
	nReduce := fs.Int("nreduce", 10, "reduce tasks of the distributed runs")
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	workDir := fs.String("work", "", "where to make the scratch directory (default $TMPDIR)")
	keep := fs.Bool("keep", false, "keep the scratch directory (outputs and logs of every run)")
	timeout := fs.Duration("timeout", 30*time.Minute, "the most any one run may take")
	skipList := fs.String("skip", "", "comma-separated runs to leave out: sequential, combiner, nocombiner, labwc, streaming, tiny (the baseline always runs)")
	examples := fs.String("examples", "examples/streaming", "directory holding the streaming word count (wc_map.py, wc_reduce.py) for the streaming run")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if *workers < 1 || *nReduce < 1 || *tiny < 0 {
		return fmt.Errorf("%w: -workers and -nreduce must be at least 1, -tiny at least 0", errUsage)
	}
	spec, err := corpus.NewSpec(int64(size), *files, *seed)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	skip, err := parseSkip(*skipList)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	bins, err := findBinaries(*binDir)
	if err != nil {
		return err
	}
	cfg := runConfig{bins: bins, spec: spec, corpusDir: *corpusDir, workers: *workers, nReduce: *nReduce,
		tiny: *tiny, timeout: *timeout, keep: *keep, skip: skip, env: childEnv()}
	if !skip["streaming"] {
		if cfg.examples, err = filepath.Abs(*examples); err != nil {
			return err
		}
		for _, f := range []string{streamMapper, streamReducer} {
			if _, err := os.Stat(filepath.Join(cfg.examples, f)); err != nil {
				return fmt.Errorf("%w: -examples: %v (or -skip streaming)", errUsage, err)
			}
		}
	}
	if cfg.corpusDir == "" {
		cfg.corpusDir = filepath.Join(os.TempDir(), fmt.Sprintf("mrbench-corpus-%d-%d-s%d", spec.Size, spec.Files, spec.Seed))
	}
	if cfg.corpusDir, err = filepath.Abs(cfg.corpusDir); err != nil {
		return err
	}
	if cfg.work, err = os.MkdirTemp(*workDir, "mrbench-"); err != nil {
		return err
	}
	if cfg.work, err = filepath.Abs(cfg.work); err != nil {
		return err
	}
	if *keep {
		progress("scratch directory %s (kept)", cfg.work)
	}

	rep, err := cfg.run()
	if err != nil {
		if !*keep {
			progress("keeping the scratch directory %s for inspection", cfg.work)
		}
		return err
	}
	if !*keep {
		os.RemoveAll(cfg.work)
	}
	fmt.Printf("\ncorpus: %s in %d files (seed %d) at %s\n", formatSize(spec.Size), spec.Files, spec.Seed, cfg.corpusDir)
	fmt.Printf("machine: %d CPUs, %s, load average at start %s; distributed runs: %d workers, -nreduce %d\n\n",
		rep.CPUs, rep.GoVersion, cmp.Or(rep.LoadAvg, "unknown"), cfg.workers, cfg.nReduce)
	fmt.Print(formatTable(rep.Results))
	if rep.Tiny != nil {
		fmt.Print("\n" + formatTiny(*rep.Tiny))
	}
	for _, n := range rep.Notes {
		fmt.Printf("\nnote: %s\n", n)
	}
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, rep); err != nil {
			return err
		}
		fmt.Printf("\nresults written to %s\n", *jsonPath)
	}
	return nil
}

// parseSkip parses the -skip list.
func parseSkip(list string) (map[string]bool, error) {
	skip := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch name {
		case "":
		case "sequential", "combiner", "nocombiner", "labwc", "streaming", "tiny":
			skip[name] = true
		default:
			return nil, fmt.Errorf("-skip: unknown run %q (want sequential, combiner, nocombiner, labwc, streaming or tiny)", name)
		}
	}
	return skip, nil
}

// childEnv is this process's environment without the variables that would
// change what a child does behind the benchmark's back.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == noCombineEnv || name == "MR_ADDR" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// loadAvg returns the 1, 5 and 15 minute load averages, or "" where
// /proc/loadavg is missing: other work on the machine skews the timings.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s: %s\n", prog, fmt.Sprintf(format, args...))
}

// run measures everything and returns the report.
func (cfg runConfig) run() (report, error) {
	rep := report{
		Time: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Corpus: cfg.spec, CorpusDir: cfg.corpusDir, Workers: cfg.workers, NReduce: cfg.nReduce,
		LoadAvg: loadAvg(),
	}
	start := time.Now()
	generated, err := corpus.Ensure(cfg.corpusDir, cfg.spec)
	if err != nil {
		return rep, fmt.Errorf("corpus: %w", err)
	}
	if generated {
		progress("generated the corpus (%s in %d files) in %s in %.1f s", formatSize(cfg.spec.Size), cfg.spec.Files, cfg.corpusDir, time.Since(start).Seconds())
	} else {
		progress("using the cached corpus in %s", cfg.corpusDir)
	}
	inputs := cfg.spec.Paths(cfg.corpusDir)

	// (a) The baseline, in a child process of its own so that its RSS is
	// its own. Its output is the reference for every other run.
	progress("running the baseline")
	base, err := cfg.single("baseline", filepath.Join(cfg.work, "baseline"), cfg.bins.self, append([]string{"baseline"}, inputs...))
	if err != nil {
		return rep, err
	}
	want, err := readOutputs([]string{filepath.Join(cfg.work, "baseline", "mr-out-0")})
	if err != nil {
		return rep, fmt.Errorf("baseline output: %w", err)
	}
	if len(want) == 0 {
		return rep, errors.New("the baseline counted no words")
	}
	cfg.done(&base, base.WallS)
	rep.Results = append(rep.Results, base)

	// (b) mrsequential.
	if !cfg.skip["sequential"] {
		progress("running mrsequential")
		seq, err := cfg.single("mrsequential", filepath.Join(cfg.work, "sequential"), cfg.bins.sequential, append([]string{cfg.bins.wc}, inputs...))
		if err != nil {
			return rep, err
		}
		if err := verify(filepath.Join(cfg.work, "sequential"), want); err != nil {
			return rep, fmt.Errorf("mrsequential: %w (output and log in %s)", err, filepath.Join(cfg.work, "sequential"))
		}
		cfg.done(&seq, base.WallS)
		rep.Results = append(rep.Results, seq)
	}

	// (c) and (d): coordinator and workers, with and without the combiner.
	var shuffle [2]float64
	for i, combine := range []bool{true, false} {
		name := fmt.Sprintf("mr %dw combiner", cfg.workers)
		var workerEnv []string
		if !combine {
			name = fmt.Sprintf("mr %dw no combiner", cfg.workers)
			workerEnv = []string{noCombineEnv + "=1"}
		}
		if combine && cfg.skip["combiner"] || !combine && cfg.skip["nocombiner"] {
			continue
		}
		progress("running %s", name)
		dir := filepath.Join(cfg.work, strings.ReplaceAll(name, " ", "-"))
		res, err := cfg.distributed(name, dir, []string{cfg.bins.wc}, inputs, cfg.nReduce, cfg.workers, workerEnv)
		if err != nil {
			return rep, err
		}
		if err := verify(dir, want); err != nil {
			return rep, fmt.Errorf("%s: %w (outputs and logs in %s)", name, err, dir)
		}
		if !cfg.keep {
			os.RemoveAll(dir) // the intermediate files of the next run need the room
		}
		shuffle[i] = *res.ShuffleMiB
		cfg.done(&res, base.WallS)
		rep.Results = append(rep.Results, res)
	}
	if !cfg.skip["combiner"] && !cfg.skip["nocombiner"] {
		if n := combinerNote(shuffle[0], shuffle[1]); n != "" {
			rep.Results[len(rep.Results)-1].Note = n
			rep.Notes = append(rep.Notes, n)
		}
	}

	// (e) The lab's word count, unchanged: Map returns a slice, no Combine.
	if !cfg.skip["labwc"] {
		name := fmt.Sprintf("mr %dw labwc", cfg.workers)
		progress("running %s", name)
		dir := filepath.Join(cfg.work, strings.ReplaceAll(name, " ", "-"))
		res, err := cfg.distributed(name, dir, []string{cfg.bins.labwc}, inputs, cfg.nReduce, cfg.workers, nil)
		if err != nil {
			return rep, err
		}
		if err := verify(dir, want); err != nil {
			return rep, fmt.Errorf("%s: %w (outputs and logs in %s)", name, err, dir)
		}
		if !cfg.keep {
			os.RemoveAll(dir)
		}
		cfg.done(&res, base.WallS)
		rep.Results = append(rep.Results, res)
	}

	// (f) The same word count as streaming commands, without a combiner:
	// in Python (examples/streaming), what a streaming job costs; and
	// compiled (examples/streaming/wcstream), what the pipes themselves
	// cost beside the plugin.
	streams := []struct{ lang, mapper, reducer string }{
		{"python", filepath.Join(cfg.examples, streamMapper), filepath.Join(cfg.examples, streamReducer)},
		{"go", cfg.bins.wcstream + " map", cfg.bins.wcstream + " reduce"},
	}
	for _, s := range streams {
		if cfg.skip["streaming"] {
			break
		}
		name := fmt.Sprintf("mr %dw streaming %s", cfg.workers, s.lang)
		progress("running %s", name)
		dir := filepath.Join(cfg.work, strings.ReplaceAll(name, " ", "-"))
		app := []string{"-mapper", s.mapper, "-reducer", s.reducer}
		res, err := cfg.distributed(name, dir, app, inputs, cfg.nReduce, cfg.workers, nil)
		if err != nil {
			return rep, err
		}
		if err := verify(dir, want); err != nil {
			return rep, fmt.Errorf("%s: %w (outputs and logs in %s)", name, err, dir)
		}
		if !cfg.keep {
			os.RemoveAll(dir)
		}
		cfg.done(&res, base.WallS)
		rep.Results = append(rep.Results, res)
	}

	// (g) Scheduling rate: many tiny inputs.
	if cfg.tiny > 0 && !cfg.skip["tiny"] {
		t, err := cfg.tinyRun()
		if err != nil {
			return rep, err
		}
		rep.Tiny = &t
	}
	return rep, nil
}

// done fills in the ratio and reports a finished run.
func (cfg runConfig) done(r *result, baseWall float64) {
	if baseWall > 0 {
		r.Ratio = r.WallS / baseWall
	}
	what := "output matches the baseline's"
	if r.Name == "baseline" {
		what = "the reference output"
	}
	progress("  %s: %.2f s, peak RSS %.1f MiB, %s", r.Name, r.WallS, r.PeakRSSMiB, what)
}

// combinerNote tells whether the no-combiner run really ran without the
// combiner, judging by the size of the intermediate files.
func combinerNote(with, without float64) string {
	switch {
	case with == 0 && without == 0:
		return "no intermediate files (mr-im-*) were seen during the distributed runs, so it is unknown whether mrworker honoured " +
			noCombineEnv + "=1 in the no-combiner run"
	case without <= 2*with:
		return fmt.Sprintf("mrworker seems to ignore %s=1: the no-combiner run wrote about as much intermediate data as the combiner run "+
			"(%.1f vs %.1f MiB), so it ran with the combiner and measures the same thing", noCombineEnv, without, with)
	}
	return ""
}

// verify compares the union of dir's mr-out-* files with want.
func verify(dir string, want map[string]string) error {
	paths, err := outputFiles(dir)
	if err != nil {
		return err
	}
	got, err := readOutputs(paths)
	if err != nil {
		return err
	}
	return compareOutputs(want, got)
}

// single runs one program in a fresh directory dir and measures it.
func (cfg runConfig) single(name, dir, path string, args []string) (result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	p, err := startProc(name, dir, "log.txt", cfg.env, path, args...)
	if err != nil {
		return result{}, err
	}
	if !p.waitFor(cfg.timeout) {
		p.kill()
		<-p.done
		return result{}, fmt.Errorf("%s: still running after %v (-timeout); log: %s", name, cfg.timeout, p.log)
	}
	if err := p.failure(); err != nil {
		return result{}, err
	}
	return result{Name: name, WallS: p.wall.Seconds(), PeakRSSMiB: kibToMiB(p.maxRSSKiB()), CPUS: p.cpu().Seconds(), Processes: 1}, nil
}

// distributed runs a coordinator and workers in dir, with a socket in dir,
// and measures them. The wall time is the coordinator's: from its start to
// its exit once the job is done.
func (cfg runConfig) distributed(name, dir string, app []string, inputs []string, nReduce, workers int, workerEnv []string) (result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	sock := filepath.Join(dir, "mr.sock")
	if len(sock) > 100 {
		return result{}, fmt.Errorf("socket path %s is too long for a Unix socket: use a shorter -work directory", sock)
	}
	coordArgs := append([]string{"-addr", sock, "-nreduce", strconv.Itoa(nReduce)}, inputs...)
	coord, err := startProc("coordinator", dir, "coordinator.log", cfg.env, cfg.bins.coordinator, coordArgs...)
	if err != nil {
		return result{}, err
	}
	procs := []*proc{coord}
	killAll := func() {
		for _, p := range procs {
			p.kill()
		}
		for _, p := range procs {
			<-p.done
		}
	}
	wenv := append(append([]string(nil), cfg.env...), workerEnv...)
	for i := range workers {
		w, err := startProc(fmt.Sprintf("worker %d", i+1), dir, fmt.Sprintf("worker-%d.log", i+1), wenv, cfg.bins.worker, append([]string{"-addr", sock}, app...)...)
		if err != nil {
			killAll()
			return result{}, err
		}
		procs = append(procs, w)
	}
	if !coord.waitFor(cfg.timeout) {
		killAll()
		return result{}, fmt.Errorf("%s: not done after %v (-timeout); logs in %s", name, cfg.timeout, dir)
	}
	if err := coord.failure(); err != nil {
		killAll()
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	shuffle, err := shuffleBytes(filepath.Join(dir, reportFile))
	if err != nil {
		killAll()
		return result{}, fmt.Errorf("%s: %w", name, err)
	}
	for _, w := range procs[1:] {
		if !w.waitFor(time.Minute) {
			killAll()
			return result{}, fmt.Errorf("%s: %s still running a minute after the coordinator exited; log: %s", name, w.role, w.log)
		}
		if err := w.failure(); err != nil {
			killAll()
			return result{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	shuffleMiB := float64(shuffle) / (1 << 20)
	res := result{Name: name, WallS: coord.wall.Seconds(), CoordinatorRSSMiB: kibToMiB(coord.maxRSSKiB()),
		ShuffleMiB: &shuffleMiB, Processes: len(procs)}
	for _, p := range procs {
		res.CPUS += p.cpu().Seconds()
		res.PeakRSSMiB = max(res.PeakRSSMiB, kibToMiB(p.maxRSSKiB()))
		if p != coord {
			res.WorkerRSSMiB = max(res.WorkerRSSMiB, kibToMiB(p.maxRSSKiB()))
		}
	}
	return res, nil
}

// tinyRun measures the scheduling rate: cfg.tiny inputs of a few words, 4
// workers, 10 reduce tasks; tasks per second of coordinator wall time.
func (cfg runConfig) tinyRun() (tinyResult, error) {
	const workers, nReduce = 4, 10
	inputs, err := corpus.WriteTiny(filepath.Join(cfg.work, "tiny-inputs"), cfg.tiny, cfg.spec.Seed)
	if err != nil {
		return tinyResult{}, err
	}
	counts, err := baseline.WordCount(inputs, 0)
	if err != nil {
		return tinyResult{}, err
	}
	// Write the new inputs out now, so that the run does not pay for
	// making them.
	syscall.Sync()
	name := fmt.Sprintf("mr %dw %d tiny inputs", workers, cfg.tiny)
	progress("running %s", name)
	dir := filepath.Join(cfg.work, "tiny")
	res, err := cfg.distributed(name, dir, []string{cfg.bins.wc}, inputs, nReduce, workers, nil)
	if err != nil {
		return tinyResult{}, err
	}
	if err := verify(dir, countsToOutput(counts)); err != nil {
		return tinyResult{}, fmt.Errorf("%s: %w (outputs and logs in %s)", name, err, dir)
	}
	t := tinyResult{Inputs: cfg.tiny, NReduce: nReduce, Workers: workers, Tasks: cfg.tiny + nReduce,
		WallS: res.WallS, PeakRSSMiB: res.PeakRSSMiB}
	t.TasksPerSec = float64(t.Tasks) / t.WallS
	progress("  %s: %.2f s, %.0f tasks/s, output matches", name, t.WallS, t.TasksPerSec)
	return t, nil
}

// proc is a started child process.
type proc struct {
	role  string
	cmd   *exec.Cmd
	log   string
	start time.Time
	done  chan struct{} // closed once it has exited and wall and err are set
	wall  time.Duration
	err   error
}

// startProc starts path with args in dir, stdout and stderr to dir/logName.
func startProc(role, dir, logName string, env []string, path string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, logName)
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	p := &proc{role: role, cmd: cmd, log: logPath, done: make(chan struct{})}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s (%s): %w", role, path, err)
	}
	go func() {
		p.err = cmd.Wait()
		p.wall = time.Since(p.start)
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// waitFor waits at most d for the process to exit and reports whether it did.
func (p *proc) waitFor(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// kill kills the process if it is still running.
func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
	}
}

// failure describes how the exited process failed, with the end of its
// log, or returns nil if it exited with status 0.
func (p *proc) failure() error {
	if p.err == nil {
		return nil
	}
	hint := ""
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		hint = " (killed from outside: out of memory?)"
	}
	return fmt.Errorf("%s failed: %v%s; last lines of %s:\n%s", p.role, p.err, hint, p.log, tail(p.log, 15))
}

// maxRSSKiB returns the exited process's peak resident set size in KiB.
func (p *proc) maxRSSKiB() int64 {
	if p.cmd.ProcessState == nil {
		return 0
	}
	ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / 1024 // bytes there, KiB on Linux
	}
	return int64(ru.Maxrss)
}

// cpu returns the exited process's user plus system time.
func (p *proc) cpu() time.Duration {
	if p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// tail returns the last n lines of the file at path, indented.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "    (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return "    " + strings.Join(lines, "\n    ")
}

// reportFile is the job report the coordinator writes in its directory.
const reportFile = "mr-report.json"

// shuffleBytes returns the size of the map output of a finished job: the
// bytes its committed map attempts wrote, from the job report. (Sampling
// the job's folder while it runs would cost the job itself, most of all
// a job of thousands of tiny tasks.)
func shuffleBytes(path string) (int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("job report: %w", err)
	}
	var report status.Snapshot
	if err := json.Unmarshal(data, &report); err != nil {
		return 0, fmt.Errorf("job report %s: %w", path, err)
	}
	var total int64
	for _, a := range report.Attempts {
		if strings.HasPrefix(a.Task, task.Map.String()+"-") && a.Outcome == status.OutcomeCommitted {
			total += a.Bytes
		}
	}
	return total, nil
}
