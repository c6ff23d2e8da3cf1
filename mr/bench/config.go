package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"6.5840/mr/bench/corpus"
)

// The runs a Config may leave out (Skip); the baseline always runs.
const (
	RunSequential = "sequential"
	RunCombiner   = "combiner"
	RunNoCombiner = "nocombiner"
	RunLabWC      = "labwc"
	RunStreaming  = "streaming"
	RunTiny       = "tiny"
)

// runNames lists the runs a Config may skip, in the order they run.
var runNames = []string{RunSequential, RunCombiner, RunNoCombiner, RunLabWC, RunStreaming, RunTiny}

// Defaults of the Config that DefaultConfig returns.
const (
	DefaultBin      = "bin"
	DefaultTiny     = 2000
	DefaultWorkers  = 2
	DefaultNReduce  = 10
	DefaultTimeout  = 30 * time.Minute
	DefaultExamples = "examples/streaming"
)

// The streaming word count's commands, in Config.Examples.
const (
	streamMapper  = "wc_map.py"
	streamReducer = "wc_reduce.py"
)

// Config says what Run measures.
type Config struct {
	// Bin holds mrcoordinator, mrworker, mrsequential, wc.so, labwc.so
	// and wcstream (make build).
	Bin string
	// Baseline is the command that runs the baseline: the input files
	// are appended to it, and it writes mr-out-0 in its working folder
	// (mrbench baseline).
	Baseline []string
	// Spec is the corpus, kept in CorpusDir (generated there unless it
	// holds it already); "" means a folder per size, file count and seed
	// under os.TempDir().
	Spec      corpus.Spec
	CorpusDir string
	// Work is where the scratch folder is made; "" means os.TempDir().
	// Keep keeps the scratch folder (outputs and logs of every run).
	Work string
	Keep bool
	// Workers and NReduce shape the distributed runs.
	Workers, NReduce int
	// Tiny is the number of tiny inputs of the scheduling-rate run.
	Tiny int
	// Timeout bounds any one run.
	Timeout time.Duration
	// Skip holds the runs to leave out (see ParseSkip).
	Skip map[string]bool
	// Examples holds the streaming word count (wc_map.py, wc_reduce.py)
	// for the streaming run.
	Examples string
	// Progress, if set, takes a line of progress at a time.
	Progress func(line string)
}

// DefaultConfig returns a Config with every field at its default but
// Baseline and Spec, which the caller sets.
func DefaultConfig() Config {
	return Config{Bin: DefaultBin, Workers: DefaultWorkers, NReduce: DefaultNReduce, Tiny: DefaultTiny,
		Timeout: DefaultTimeout, Examples: DefaultExamples}
}

// Validate returns an error, naming the flag, for a value Run cannot use.
func (c Config) Validate() error {
	if c.Workers < 1 || c.NReduce < 1 || c.Tiny < 0 {
		return errors.New("-workers and -nreduce must be at least 1, -tiny at least 0")
	}
	if len(c.Baseline) == 0 {
		return errors.New("no baseline command")
	}
	if !c.Skip[RunStreaming] {
		for _, f := range []string{streamMapper, streamReducer} {
			if _, err := os.Stat(filepath.Join(c.Examples, f)); err != nil {
				return fmt.Errorf("-examples: %v (or -skip streaming)", err)
			}
		}
	}
	return nil
}

// ParseSkip parses a comma-separated list of runs to leave out (-skip).
func ParseSkip(list string) (map[string]bool, error) {
	skip := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch {
		case name == "":
		case slices.Contains(runNames, name):
			skip[name] = true
		default:
			return nil, fmt.Errorf("-skip: unknown run %q (want %s or %s)", name,
				strings.Join(runNames[:len(runNames)-1], ", "), runNames[len(runNames)-1])
		}
	}
	return skip, nil
}

// progress passes a line to c.Progress, if set.
func (c Config) progress(format string, args ...any) {
	if c.Progress != nil {
		c.Progress(fmt.Sprintf(format, args...))
	}
}
