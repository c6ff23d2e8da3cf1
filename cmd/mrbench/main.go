// Command mrbench measures the MapReduce engine against an honest baseline
// on a generated word-count corpus.
//
//	mrbench gen -dir DIR [-size 256MiB] [-files 32] [-seed 1]
//	mrbench baseline [-workers N] [-o mr-out-0] FILE...
//	mrbench run [-bin bin] [-corpus DIR] [-size 256MiB] [-files 32] [-tiny 2000] [-workers 2] [-json FILE] [-skip RUNS]
//
// gen writes a deterministic corpus (same seed, same bytes). baseline counts
// words with mr/bench/baseline, a plain parallel hash-map count, and writes sorted
// "word count" lines like mrsequential. run does the whole benchmark: the
// baseline, bin/mrsequential, a coordinator with workers running bin/wc.so
// (MapEmit) with and without the combiner, and bin/labwc.so (the lab's
// Map, no combiner), and the scheduling rate on tiny inputs; it checks
// every output against the baseline's and prints a table.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"6.5840/mr/bench/baseline"
	"6.5840/mr/bench/corpus"
	"6.5840/mr/cli"
)

const prog = "mrbench"

// errUsage marks a command-line mistake: exit status 2.
var errUsage = errors.New("usage")

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  %[1]s gen -dir DIR [-size 256MiB] [-files 32] [-seed 1] [-force]
  %[1]s baseline [-workers N] [-o mr-out-0] FILE...
  %[1]s run [-bin bin] [-corpus DIR] [-size 256MiB] [-files 32] [-seed 1] [-tiny 2000] [-workers 2]
      [-nreduce 10] [-json FILE] [-skip sequential,combiner,nocombiner,labwc,tiny] [-work DIR] [-keep] [-timeout 30m]

Run "%[1]s SUBCOMMAND -h" for the flags of one subcommand.
`, prog)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	sub, args := os.Args[1], os.Args[2:]
	var err error
	switch sub {
	case "gen":
		err = cmdGen(args)
	case "baseline":
		err = cmdBaseline(args)
	case "run":
		err = cmdRun(args)
	case "help", "-h", "-help", "--help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "%s: unknown subcommand %q\n", prog, sub)
		usage()
		os.Exit(2)
	}
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		fmt.Fprintf(os.Stderr, "%s %s: %v\n", prog, sub, err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "%s %s: FAILED: %v\n", prog, sub, err)
		os.Exit(1)
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

// formatSize formats a byte count such as 256MiB.
func formatSize(n int64) string { return cli.ByteSize(n).String() }

func cmdGen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write corpus-NN.txt files to (required)")
	size := cli.ByteSize(256 << 20)
	fs.Var(&size, "size", "total size, e.g. 256MiB, 1GiB, 10MB, 1000")
	files := fs.Int("files", 32, "number of files")
	seed := fs.Uint64("seed", 1, "seed: the same seed gives the same bytes")
	force := fs.Bool("force", false, "regenerate even if the directory already holds this corpus")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: need -dir and no arguments", errUsage)
	}
	spec, err := corpus.NewSpec(int64(size), *files, *seed)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	start := time.Now()
	if !*force && spec.Cached(*dir) {
		fmt.Printf("%s already holds this corpus (%d files, %s, seed %d)\n", *dir, spec.Files, formatSize(spec.Size), spec.Seed)
		return nil
	}
	if err := corpus.Generate(*dir, spec); err != nil {
		return err
	}
	fmt.Printf("wrote %d files, %s, seed %d, to %s in %.2f s\n", spec.Files, formatSize(spec.Size), spec.Seed, *dir, time.Since(start).Seconds())
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
	if err := writeCounts(*out, counts); err != nil {
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
