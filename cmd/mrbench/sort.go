package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"6.5840/mr/bench"
	"6.5840/mr/bench/corpus"
	"6.5840/mr/bench/gensort"
	"6.5840/mr/bench/sortrec"
	"6.5840/mr/bench/valsort"
	"6.5840/mr/cli"
	"6.5840/mr/jobfiles"
)

// kindSort is gen's -kind of sort benchmark records, beside the corpus
// kinds.
const kindSort = "sort"

// sortFileName is the name of the j-th file of generated sort records.
func sortFileName(j int) string { return fmt.Sprintf("gensort-%03d", j) }

// genSort writes s.Size bytes of gensort -a records, seeded by s.Seed,
// split over s.Files files in dir, with keys distributed as skew says.
func genSort(dir string, s corpus.Spec, skew string) error {
	keys, err := gensort.ParseDistribution(skew)
	if err != nil {
		return usageError(fmt.Errorf("-skew: %w", err))
	}
	g, err := gensort.New(gensort.Config{Records: gensort.RecordsIn(s.Size), Seed: s.Seed, Keys: keys})
	if err != nil {
		return usageError(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	paths := make([]string, s.Files)
	for j := range paths {
		paths[j] = filepath.Join(dir, sortFileName(j))
	}
	start := time.Now()
	if err := g.WriteFiles(paths); err != nil {
		return err
	}
	fmt.Printf("wrote %d records (%s, keys %s, seed %d) in %d files to %s in %.2f s\n", g.Config().Records,
		cli.ByteSize(g.Config().Records*sortrec.Size), keys, s.Seed, s.Files, dir, time.Since(start).Seconds())
	return nil
}

// globList is a flag that may be given many times, each a file or a glob
// pattern.
type globList []string

func (g *globList) String() string { return strings.Join(*g, " ") }

func (g *globList) Set(pattern string) error {
	matches, err := filepath.Glob(pattern)
	if err != nil {
		return fmt.Errorf("pattern %q: %w", pattern, err)
	}
	if len(matches) == 0 {
		return fmt.Errorf("no file matches %q", pattern)
	}
	*g = append(*g, matches...)
	return nil
}

func cmdValidateSort(args []string) error {
	fs := flag.NewFlagSet("validate-sort", flag.ContinueOnError)
	var inputs globList
	fs.Var(&inputs, "input", "an input file of the sort, or a glob pattern of them (repeat for more)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if len(inputs) == 0 || fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("%w: need -input and the outputs (mr-out-0 mr-out-1 ..., ordered by number whatever the order given)", errUsage)
	}
	outputs := jobfiles.InOutputOrder(fs.Args())
	sum, err := valsort.Validate(inputs, outputs)
	if err != nil {
		return fmt.Errorf("%d outputs against %d inputs: %w", len(outputs), len(inputs), err)
	}
	fmt.Printf("sorted: %d records in %d outputs, checksum %v, %d duplicate keys, the same records as the %d inputs\n",
		sum.Records, len(outputs), sum.Checksum, sum.Duplicates, len(inputs))
	return nil
}

func cmdSort(args []string) error {
	cfg := bench.DefaultSortConfig()
	fs := flag.NewFlagSet("sort", flag.ContinueOnError)
	fs.StringVar(&cfg.Bin, "bin", cfg.Bin, "directory holding mrcoordinator, mrworker and sort.so (make build)")
	size := cli.ByteSize(cfg.Size)
	fs.Var(&size, "size", "bytes of records to sort, e.g. 1GiB, 4GiB, 64MiB")
	fs.IntVar(&cfg.Files, "files", cfg.Files, "input files (map tasks)")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the records")
	skews := fs.String("skew", "uniform,zipf", "comma-separated key distributions to run: uniform, zipf, onekey")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "workers, and GNU sort's --parallel")
	fs.IntVar(&cfg.NReduce, "nreduce", cfg.NReduce, "reduce tasks (output files)")
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	scratchFlags(fs, &cfg.Work, &cfg.Keep, &cfg.Timeout, "; it needs about 3.5 times -size")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected arguments %q", errUsage, fs.Args())
	}
	cfg.Size, cfg.Skews = int64(size), nil
	for _, name := range strings.Split(*skews, ",") {
		d, err := gensort.ParseDistribution(strings.TrimSpace(name))
		if err != nil {
			return usageError(fmt.Errorf("-skew: %w", err))
		}
		cfg.Skews = append(cfg.Skews, d)
	}
	cfg.Progress = func(line string) { fmt.Fprintf(os.Stderr, "%s: %s\n", prog, line) }
	if err := cfg.Validate(); err != nil {
		return usageError(err)
	}
	rep, err := bench.RunSort(cfg)
	rep.WriteText(os.Stdout)
	if err != nil {
		return err
	}
	if *jsonPath != "" {
		return writeJSON(*jsonPath, rep)
	}
	return nil
}

// writeJSON writes v to path as indented JSON.
func writeJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
