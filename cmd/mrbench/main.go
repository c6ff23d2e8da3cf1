// Command mrbench measures the MapReduce engine against an honest baseline
// on a generated word-count corpus (mr/bench).
//
//	mrbench gen -dir DIR [-kind zipf|text|sort] [-size 256MiB] [-files 32] [-seed 1] [-skew uniform|zipf|onekey]
//	mrbench validate-sort -input FILE_OR_GLOB [-input ...] OUTPUT...
//	mrbench sort [-size 1GiB] [-skew uniform,zipf] [-workers 2] [-nreduce 4] [-json FILE]
//	mrbench baseline [-workers N] [-o mr-out-0] FILE...
//	mrbench run [-bin bin] [-corpus DIR] [-kind zipf|text] [-size 256MiB] [-files 32] [-tiny 2000] [-workers 2] [-json FILE] [-skip RUNS]
//	mrbench scale [-coordinator bin/mrcoordinator] [-workers 100] [-maps 10000] [-nreduce 100] [-task-time 0s] [-drop N]
//
// gen writes a deterministic corpus (same seed, same bytes): Zipf
// pseudo-words, with -kind text lines of testdata's books, or with -kind
// sort the sort benchmark's records (gensort -a), their keys uniform or
// skewed. validate-sort checks a sort's outputs against its inputs
// (valsort.Validate), exit 1 on the first problem. sort is the sort
// benchmark (bench.RunSort): GNU sort against a coordinator and workers
// with -total-order on the same records. baseline counts
// words with mr/bench/baseline, a plain parallel hash-map count, and writes
// sorted "word count" lines like mrsequential. run does the whole benchmark
// (bench.Run) and prints a table. scale runs many simulated workers against
// the real coordinator (mr/bench/scale) and prints its figures. A mistake on
// the command line exits 2, a failed measurement 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"6.5840/mr/bench"
	"6.5840/mr/bench/baseline"
	"6.5840/mr/bench/corpus"
	"6.5840/mr/bench/scale"
	"6.5840/mr/cli"
)

const prog = "mrbench"

// Corpus defaults of the gen and run subcommands.
const (
	defaultSize  = 256 << 20
	defaultFiles = 32
	defaultSeed  = 1
	// defaultTextDir holds the texts of a text corpus, from the
	// project's root.
	defaultTextDir = "testdata"
)

// errUsage marks a command-line mistake: exit status 2.
var errUsage = errors.New("usage")

// subcommand is one of mrbench's subcommands.
type subcommand struct {
	name string
	// usage is its synopsis, the lines after "mrbench NAME".
	usage string
	run   func(args []string) error
}

// subcommands are mrbench's subcommands, in the order usage lists them.
var subcommands = []subcommand{
	{"gen", "-dir DIR [-kind zipf|text|sort] [-text-dir testdata] [-size 256MiB] [-files 32] [-seed 1]\n" +
		"      [-skew uniform|zipf|onekey] [-force]", cmdGen},
	{"validate-sort", "-input FILE_OR_GLOB [-input ...] OUTPUT...", cmdValidateSort},
	{"sort", "[-bin bin] [-size 1GiB] [-files 16] [-seed 1] [-skew uniform,zipf] [-workers 2] [-nreduce 4]\n" +
		"      [-json FILE] [-work DIR] [-keep] [-timeout 30m]", cmdSort},
	{"baseline", "[-workers N] [-o mr-out-0] FILE...", cmdBaseline},
	{"run", "[-bin bin] [-corpus DIR] [-kind zipf|text] [-text-dir testdata] [-size 256MiB] [-files 32] [-seed 1] [-tiny 2000] [-workers 2]\n" +
		"      [-nreduce 10] [-json FILE] [-skip sequential,combiner,nocombiner,labwc,tiny] [-work DIR] [-keep] [-timeout 30m]", cmdRun},
	{"scale", "[-coordinator bin/mrcoordinator] [-workers 100] [-maps 10000] [-nreduce 100] [-task-time 0s]\n" +
		"      [-conns 2] [-drop N -drop-after 1] [-http 127.0.0.1:PORT] [-work DIR] [-keep] [-timeout 15m]", cmdScale},
}

func usage() {
	var sb strings.Builder
	sb.WriteString("usage:\n")
	for _, s := range subcommands {
		fmt.Fprintf(&sb, "  %s %s %s\n", prog, s.name, s.usage)
	}
	fmt.Fprintf(&sb, "\nRun \"%s SUBCOMMAND -h\" for the flags of one subcommand.\n", prog)
	fmt.Fprint(os.Stderr, sb.String())
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(cli.ExitUsage)
	}
	name, args := os.Args[1], os.Args[2:]
	switch name {
	case "help", "-h", "-help", "--help":
		usage()
		return
	}
	for _, s := range subcommands {
		if s.name == name {
			exit(name, s.run(args))
			return
		}
	}
	fmt.Fprintf(os.Stderr, "%s: unknown subcommand %q\n", prog, name)
	usage()
	os.Exit(cli.ExitUsage)
}

// exit ends the program for subcommand name's error: 0 for none or a
// request for help, 2 for a mistake on the command line, 1 otherwise.
func exit(name string, err error) {
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", prog, name, err)
		os.Exit(cli.ExitUsage)
	default:
		fmt.Fprintf(os.Stderr, "%s %s: FAILED: %v\n", prog, name, err)
		os.Exit(cli.ExitFailure)
	}
}

// parseFlags parses args into fs and wraps a mistake in errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(os.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	return nil
}

// scratchFlags registers -work (its help ending in workNote), -keep and
// -timeout on fs.
func scratchFlags(fs *flag.FlagSet, work *string, keep *bool, timeout *time.Duration, workNote string) {
	fs.StringVar(work, "work", "", "where to make the scratch directory (default $TMPDIR)"+workNote)
	fs.BoolVar(keep, "keep", false, "keep the scratch directory (outputs and logs of every run)")
	fs.DurationVar(timeout, "timeout", *timeout, "the most any one run may take")
}

// usageError wraps err, a bad value on the command line, in errUsage.
func usageError(err error) error { return fmt.Errorf("%w: %v", errUsage, err) }

// corpusFlags registers the flags of a corpus on fs and returns the
// function that makes its Spec once fs is parsed.
func corpusFlags(fs *flag.FlagSet, sizeHelp, filesHelp, seedHelp string) func() (corpus.Spec, error) {
	size := cli.ByteSize(defaultSize)
	fs.Var(&size, "size", sizeHelp)
	files := fs.Int("files", defaultFiles, filesHelp)
	seed := fs.Uint64("seed", defaultSeed, seedHelp)
	kind := fs.String("kind", corpus.KindZipf, "corpus kind: "+corpus.KindZipf+" (a made-up Zipf vocabulary, the stress case for distinct keys) or "+
		corpus.KindText+" (lines of the texts in -text-dir, drawn with the seed)")
	textDir := fs.String("text-dir", defaultTextDir, "folder of the "+corpus.TextSources+" texts a "+corpus.KindText+" corpus is drawn from")
	return func() (corpus.Spec, error) {
		switch *kind {
		case corpus.KindZipf:
			return corpus.NewSpec(int64(size), *files, *seed)
		case corpus.KindText:
			return corpus.NewTextSpec(int64(size), *files, *seed, *textDir)
		}
		return corpus.Spec{}, fmt.Errorf("-kind %q: want %s or %s", *kind, corpus.KindZipf, corpus.KindText)
	}
}

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write corpus-NN.txt files to (required)")
	spec := corpusFlags(fs, "total size, e.g. 256MiB, 1GiB, 10MB, 1000", "number of files", "seed: the same seed gives the same bytes")
	force := fs.Bool("force", false, "regenerate even if the directory already holds this corpus")
	kind := fs.Lookup("kind")
	kind.Usage += "; or " + kindSort + " (the sort benchmark's gensort -a records, keys as -skew says)"
	skew := fs.String("skew", "uniform", "-kind "+kindSort+": the keys' distribution, uniform, zipf or onekey")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: need -dir and no arguments", errUsage)
	}
	sorting := kind.Value.String() == kindSort
	if sorting {
		// The size, file count and seed mean the same for records.
		kind.Value.Set(corpus.KindZipf)
	}
	s, err := spec()
	if err != nil {
		return usageError(err)
	}
	if sorting {
		return genSort(*dir, s, *skew)
	}
	start := time.Now()
	if !*force && s.Cached(*dir) {
		fmt.Printf("%s already holds this corpus (%d files, %s, seed %d)\n", *dir, s.Files, cli.ByteSize(s.Size), s.Seed)
		return nil
	}
	if err := corpus.Generate(*dir, s); err != nil {
		return err
	}
	fmt.Printf("wrote %d files, %s, seed %d, to %s in %.2f s\n", s.Files, cli.ByteSize(s.Size), s.Seed, *dir, time.Since(start).Seconds())
	return nil
}

func cmdBaseline(args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	workers := fs.Int("workers", 0, "goroutines counting (0: one per CPU)")
	out := fs.String("o", "mr-out-0", "output file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("%w: need at least one input file", errUsage)
	}
	start := time.Now()
	counts, err := baseline.WordCount(fs.Args(), *workers)
	if err != nil {
		return err
	}
	counted := time.Since(start)
	if err := baseline.WriteCounts(*out, counts); err != nil {
		return err
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	fmt.Printf("baseline: %d words, %d distinct, in %d files: counted in %.3f s, written to %s, wall %.3f s\n",
		total, len(counts), fs.NArg(), counted.Seconds(), *out, time.Since(start).Seconds())
	return nil
}

func cmdRun(args []string) error {
	cfg, jsonPath, err := runFlags(args)
	if err != nil {
		return err
	}
	rep, err := bench.Run(cfg)
	if err != nil {
		return err
	}
	rep.WriteText(os.Stdout)
	if jsonPath != "" {
		if err := rep.WriteJSON(jsonPath); err != nil {
			return err
		}
		fmt.Printf("\nresults written to %s\n", jsonPath)
	}
	return nil
}

// runFlags returns the Config of mrbench run from its flags, checked, and
// the -json path.
func runFlags(args []string) (bench.Config, string, error) {
	cfg := bench.DefaultConfig()
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&cfg.Bin, "bin", cfg.Bin, "directory holding mrcoordinator, mrworker, mrsequential and wc.so (make build)")
	fs.StringVar(&cfg.CorpusDir, "corpus", "", "corpus directory, generated if it does not hold the corpus asked for (default: a directory per size, file count and seed under $TMPDIR)")
	spec := corpusFlags(fs, "corpus size, e.g. 256MiB, 1GiB, 16MiB", "corpus files (map tasks)", "corpus seed")
	fs.IntVar(&cfg.Tiny, "tiny", cfg.Tiny, "tiny inputs for the scheduling-rate run (0: skip it)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "workers of the distributed runs")
	fs.IntVar(&cfg.NReduce, "nreduce", cfg.NReduce, "reduce tasks of the distributed runs")
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	scratchFlags(fs, &cfg.Work, &cfg.Keep, &cfg.Timeout, "")
	skipList := fs.String("skip", "", "comma-separated runs to leave out: sequential, combiner, nocombiner, labwc, streaming, tiny (the baseline always runs)")
	fs.StringVar(&cfg.Examples, "examples", cfg.Examples, "directory holding the streaming word count (wc_map.py, wc_reduce.py) for the streaming run")
	if err := parseFlags(fs, args); err != nil {
		return cfg, "", err
	}
	if fs.NArg() > 0 {
		return cfg, "", fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	var err error
	if cfg.Spec, err = spec(); err != nil {
		return cfg, "", usageError(err)
	}
	if cfg.Skip, err = bench.ParseSkip(*skipList); err != nil {
		return cfg, "", usageError(err)
	}
	self, err := os.Executable()
	if err != nil {
		return cfg, "", fmt.Errorf("cannot find this program to run the baseline: %w", err)
	}
	cfg.Baseline = []string{self, "baseline"}
	cfg.Progress = func(line string) { fmt.Fprintf(os.Stderr, "%s: %s\n", prog, line) }
	if err := cfg.Validate(); err != nil {
		return cfg, "", usageError(err)
	}
	return cfg, *jsonPath, nil
}

func cmdScale(args []string) error {
	cfg := scale.DefaultConfig()
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	fs.StringVar(&cfg.Coordinator, "coordinator", "bin/mrcoordinator", "the mrcoordinator binary (make build)")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "simulated workers, each with its own two connections and loopback address")
	fs.IntVar(&cfg.Maps, "maps", cfg.Maps, "map tasks")
	fs.IntVar(&cfg.NReduce, "nreduce", cfg.NReduce, "reduce tasks")
	fs.DurationVar(&cfg.TaskTime, "task-time", cfg.TaskTime, "how long each attempt runs, heartbeating meanwhile")
	fs.IntVar(&cfg.DropWorker, "drop", 0, "drop this worker's connections (1..workers) at its -drop-after-th task; 0: none")
	fs.IntVar(&cfg.DropAfter, "drop-after", 1, "the task of the -drop worker at which it is dropped")
	fs.IntVar(&cfg.Conns, "conns", cfg.Conns, "connections per worker: 2 (calls and heartbeats apart, as mrworker) or 1 (half the file descriptors)")
	fs.IntVar(&cfg.MaxDialing, "max-dialing", cfg.MaxDialing, "connection handshakes in flight at most")
	fs.StringVar(&cfg.HTTPAddr, "http", "", "the coordinator's -http address (status page, /debug/pprof/), e.g. 127.0.0.1:6060")
	fs.StringVar(&cfg.Dir, "work", "", "where to make the job folder (default $TMPDIR)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the job folder (the coordinator's log)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "the most the run may take")
	cpuProfile := fs.String("cpuprofile", "", "write the simulator's CPU profile to this file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	if err := cfg.Validate(); err != nil {
		return usageError(err)
	}
	if *cpuProfile != "" {
		stop, err := cli.StartCPUProfile(*cpuProfile)
		if err != nil {
			return usageError(err)
		}
		defer stop()
	}
	cfg.Progress = func(line string) { fmt.Fprintf(os.Stderr, "%s: %s\n", prog, line) }
	r, err := scale.Run(context.Background(), cfg)
	if err != nil {
		return err
	}
	r.WriteText(os.Stdout)
	return nil
}
