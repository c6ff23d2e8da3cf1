// Package bench measures the MapReduce engine against an honest baseline
// on a generated word-count corpus (mr/bench/corpus). Run runs the
// baseline (mr/bench/baseline, a plain parallel hash-map count, in a
// child process of its own), mrsequential, a coordinator with workers
// running wc.so (MapEmit) with and without the combiner, labwc.so (the
// lab's Map, no combiner), the same word count as streaming commands in
// Python and compiled, and the scheduling rate on tiny inputs. It checks
// every run's output against the baseline's and returns a Report of wall
// time, CPU time, peak memory and map output size.
package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"6.5840/mr/bench/corpus"
	"6.5840/mr/transport"
)

// noCombineEnv, set to 1, tells mrworker to ignore the application's
// Combine, for the "no combiner" run.
const noCombineEnv = "MR_NO_COMBINE"

// binaries are the programs a run needs, as absolute paths.
type binaries struct {
	coordinator, worker, sequential, wc, labwc, sort string
	// wcstream is the compiled streaming word count
	// (examples/streaming/wcstream).
	wcstream string
}

// findBinaries returns the programs in dir, or an error naming the
// missing ones.
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
		sort:        filepath.Join(abs, "sort.so"),
		wcstream:    filepath.Join(abs, "wcstream"),
	}
	var missing []string
	for _, p := range []string{b.coordinator, b.worker, b.sequential, b.wc, b.labwc, b.sort, b.wcstream} {
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return b, fmt.Errorf("missing %s: run `make build` first (or point -bin at the directory holding them)", strings.Join(missing, ", "))
	}
	return b, nil
}

// runner is one Run under way.
type runner struct {
	cfg  Config
	bins binaries
	// work is the scratch folder; env the environment of every child,
	// without noCombineEnv.
	work string
	env  []string
	// inputs are the corpus files; want is the baseline's output, the
	// reference of every other run, and baseWall its wall time.
	inputs   []string
	want     map[string]string
	baseWall float64
	// coordFlags are flags every coordinator of the runs gets.
	coordFlags []string
}

// Run measures everything cfg asks for and returns the report. The
// scratch folder is removed unless cfg.Keep, or a run failed.
func Run(cfg Config) (Report, error) {
	bins, err := findBinaries(cfg.Bin)
	if err != nil {
		return Report{}, err
	}
	r := &runner{cfg: cfg, bins: bins, env: childEnv()}
	if err := r.prepare(); err != nil {
		return Report{}, err
	}
	rep, err := r.all()
	if err != nil {
		if !cfg.Keep {
			cfg.progress("keeping the scratch directory %s for inspection", r.work)
		}
		return rep, err
	}
	if !cfg.Keep {
		os.RemoveAll(r.work)
	}
	return rep, nil
}

// corpusDirName names the cached corpus of s in the temporary folder.
// A Zipf corpus keeps the name it always had.
func corpusDirName(s corpus.Spec) string {
	if s.Kind == corpus.KindText {
		return fmt.Sprintf("mrbench-text-%d-%d-s%d-%.8s", s.Size, s.Files, s.Seed, s.TextDigest)
	}
	return fmt.Sprintf("mrbench-corpus-%d-%d-s%d", s.Size, s.Files, s.Seed)
}

// prepare makes the folders absolute and the scratch folder.
func (r *runner) prepare() error {
	var err error
	if !r.cfg.Skip[RunStreaming] {
		if r.cfg.Examples, err = filepath.Abs(r.cfg.Examples); err != nil {
			return err
		}
	}
	s := r.cfg.Spec
	if r.cfg.CorpusDir == "" {
		r.cfg.CorpusDir = filepath.Join(os.TempDir(), corpusDirName(s))
	}
	if r.cfg.CorpusDir, err = filepath.Abs(r.cfg.CorpusDir); err != nil {
		return err
	}
	if r.work, err = os.MkdirTemp(r.cfg.Work, "mrbench-"); err != nil {
		return err
	}
	if r.work, err = filepath.Abs(r.work); err != nil {
		return err
	}
	if r.cfg.Keep {
		r.cfg.progress("scratch directory %s (kept)", r.work)
	}
	return nil
}

// all runs the corpus, the baseline, and then every run not skipped, in
// order, and returns what they measured.
func (r *runner) all() (Report, error) {
	rep := Report{
		Time: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(),
		Corpus: r.cfg.Spec, CorpusDir: r.cfg.CorpusDir, Workers: r.cfg.Workers, NReduce: r.cfg.NReduce,
		LoadAvg: loadAvg(),
	}
	if err := r.ensureCorpus(); err != nil {
		return rep, err
	}
	steps := []func(*Report) error{r.baseline, r.sequential, r.wordCounts, r.labWC, r.streaming, r.tinyRun}
	for _, step := range steps {
		if err := step(&rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// ensureCorpus generates the corpus unless it is cached.
func (r *runner) ensureCorpus() error {
	start := time.Now()
	s := r.cfg.Spec
	generated, err := corpus.Ensure(r.cfg.CorpusDir, s)
	if err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	if generated {
		r.cfg.progress("generated the corpus (%s in %d files) in %s in %.1f s", formatSize(s.Size), s.Files, r.cfg.CorpusDir, time.Since(start).Seconds())
	} else {
		r.cfg.progress("using the cached corpus in %s", r.cfg.CorpusDir)
	}
	r.inputs = s.Paths(r.cfg.CorpusDir)
	return nil
}

// baseline runs the baseline, in a child process of its own so that its
// RSS is its own. Its output is the reference for every other run.
func (r *runner) baseline(rep *Report) error {
	r.cfg.progress("running the baseline")
	dir := filepath.Join(r.work, "baseline")
	base, err := r.single("baseline", dir, r.cfg.Baseline[0], append(slices.Clone(r.cfg.Baseline[1:]), r.inputs...))
	if err != nil {
		return err
	}
	if r.want, err = readOutputs([]string{filepath.Join(dir, "mr-out-0")}); err != nil {
		return fmt.Errorf("baseline output: %w", err)
	}
	if len(r.want) == 0 {
		return errors.New("the baseline counted no words")
	}
	r.baseWall = base.WallS
	r.done(&base)
	rep.Results = append(rep.Results, base)
	return nil
}

// sequential runs mrsequential with wc.so.
func (r *runner) sequential(rep *Report) error {
	if r.cfg.Skip[RunSequential] {
		return nil
	}
	r.cfg.progress("running mrsequential")
	dir := filepath.Join(r.work, "sequential")
	seq, err := r.single("mrsequential", dir, r.bins.sequential, append([]string{r.bins.wc}, r.inputs...))
	if err != nil {
		return err
	}
	if err := verify(dir, r.want); err != nil {
		return fmt.Errorf("mrsequential: %w (output and log in %s)", err, dir)
	}
	r.done(&seq)
	rep.Results = append(rep.Results, seq)
	return nil
}

// wordCounts runs a coordinator and workers with wc.so, with and without
// the combiner, and notes if the second seems to have used it anyway.
func (r *runner) wordCounts(rep *Report) error {
	var shuffle [2]float64
	for i, combine := range []bool{true, false} {
		name := fmt.Sprintf("mr %dw combiner", r.cfg.Workers)
		var workerEnv []string
		if !combine {
			name = fmt.Sprintf("mr %dw no combiner", r.cfg.Workers)
			workerEnv = []string{noCombineEnv + "=1"}
		}
		if combine && r.cfg.Skip[RunCombiner] || !combine && r.cfg.Skip[RunNoCombiner] {
			continue
		}
		res, err := r.measure(rep, name, []string{r.bins.wc}, workerEnv)
		if err != nil {
			return err
		}
		shuffle[i] = *res.ShuffleMiB
	}
	if !r.cfg.Skip[RunCombiner] && !r.cfg.Skip[RunNoCombiner] {
		if n := combinerNote(shuffle[0], shuffle[1]); n != "" {
			rep.Results[len(rep.Results)-1].Note = n
			rep.Notes = append(rep.Notes, n)
		}
	}
	return nil
}

// labWC runs the lab's word count, unchanged: Map returns a slice, no
// Combine.
func (r *runner) labWC(rep *Report) error {
	if r.cfg.Skip[RunLabWC] {
		return nil
	}
	_, err := r.measure(rep, fmt.Sprintf("mr %dw labwc", r.cfg.Workers), []string{r.bins.labwc}, nil)
	return err
}

// streaming runs the same word count as streaming commands, without a
// combiner: in Python (examples/streaming), what a streaming job costs;
// and compiled (examples/streaming/wcstream), what the pipes themselves
// cost beside the plugin.
func (r *runner) streaming(rep *Report) error {
	if r.cfg.Skip[RunStreaming] {
		return nil
	}
	streams := []struct{ lang, mapper, reducer string }{
		{"python", filepath.Join(r.cfg.Examples, streamMapper), filepath.Join(r.cfg.Examples, streamReducer)},
		{"go", r.bins.wcstream + " map", r.bins.wcstream + " reduce"},
	}
	for _, s := range streams {
		name := fmt.Sprintf("mr %dw streaming %s", r.cfg.Workers, s.lang)
		if _, err := r.measure(rep, name, []string{"-mapper", s.mapper, "-reducer", s.reducer}, nil); err != nil {
			return err
		}
	}
	return nil
}

// done fills in the ratio and reports a finished run.
func (r *runner) done(res *Result) {
	if r.baseWall > 0 {
		res.Ratio = res.WallS / r.baseWall
	}
	what := "output matches the baseline's"
	if res.Name == "baseline" {
		what = "the reference output"
	}
	r.cfg.progress("  %s: %.2f s, peak RSS %.1f MiB, %s", res.Name, res.WallS, res.PeakRSSMiB, what)
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

// childEnv is this process's environment without the variables that would
// change what a child does behind the benchmark's back.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == noCombineEnv || name == transport.AddrEnv {
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
