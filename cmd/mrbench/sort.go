package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"6.5840/mr/bench/corpus"
	"6.5840/mr/bench/gensort"
	"6.5840/mr/bench/sortrec"
	"6.5840/mr/bench/valsort"
	"6.5840/mr/cli"
	"6.5840/mr/jobfiles"
)

// The kinds of data gen writes.
const (
	kindWordCount = "wordcount"
	kindSort      = "sort"
)

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
