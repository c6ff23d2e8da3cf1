package bench

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"6.5840/mr/bench/corpus"
	"6.5840/mr/cli"
)

// Result is one measured run.
type Result struct {
	Name  string  `json:"name"`
	WallS float64 `json:"wall_s"`
	// Ratio is WallS over the baseline's WallS.
	Ratio float64 `json:"ratio_to_baseline"`
	// PeakRSSMiB is the largest peak RSS of any one process of the run.
	PeakRSSMiB float64 `json:"peak_rss_mib"`
	// CoordinatorRSSMiB and WorkerRSSMiB are set for distributed runs: the
	// coordinator's peak RSS and the largest of the workers'.
	CoordinatorRSSMiB float64 `json:"coordinator_rss_mib,omitempty"`
	WorkerRSSMiB      float64 `json:"worker_max_rss_mib,omitempty"`
	// CPUS is user plus system time of all the run's processes.
	CPUS float64 `json:"cpu_s"`
	// ShuffleMiB is, for distributed runs, the size of the map output
	// the committed map attempts wrote, from the job report.
	ShuffleMiB *float64 `json:"shuffle_mib,omitempty"`
	Processes  int      `json:"processes"`
	Note       string   `json:"note,omitempty"`
}

// TinyResult is the scheduling-rate measurement.
type TinyResult struct {
	Inputs      int     `json:"inputs"`
	NReduce     int     `json:"nreduce"`
	Workers     int     `json:"workers"`
	Tasks       int     `json:"tasks"`
	WallS       float64 `json:"wall_s"`
	TasksPerSec float64 `json:"tasks_per_s"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"`
}

// Report is everything a Run measured, as WriteJSON writes it.
type Report struct {
	Time      string      `json:"time"`
	GoVersion string      `json:"go_version"`
	CPUs      int         `json:"cpus"`
	LoadAvg   string      `json:"load_avg_at_start,omitempty"`
	Corpus    corpus.Spec `json:"corpus"`
	CorpusDir string      `json:"corpus_dir"`
	Workers   int         `json:"workers"`
	NReduce   int         `json:"nreduce"`
	Results   []Result    `json:"results"`
	Tiny      *TinyResult `json:"tiny,omitempty"`
	Notes     []string    `json:"notes,omitempty"`
}

// kibToMiB converts KiB to MiB.
func kibToMiB(kib int64) float64 { return float64(kib) / kibPerMiB }

// kibPerMiB and bytesPerMiB convert sizes to MiB.
const (
	kibPerMiB   = 1 << 10
	bytesPerMiB = 1 << 20
)

// formatSize formats a byte count such as 256MiB.
func formatSize(n int64) string { return cli.ByteSize(n).String() }

// WriteText writes the report as mrbench run prints it: the corpus, the
// machine, the table of runs, the scheduling rate and the notes.
func (r Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "\ncorpus: %s of %s in %d files (seed %d) at %s\n", r.Corpus.Kind, formatSize(r.Corpus.Size), r.Corpus.Files, r.Corpus.Seed, r.CorpusDir)
	fmt.Fprintf(w, "machine: %d CPUs, %s, load average at start %s; distributed runs: %d workers, -nreduce %d\n\n",
		r.CPUs, r.GoVersion, cmp.Or(r.LoadAvg, "unknown"), r.Workers, r.NReduce)
	fmt.Fprint(w, formatTable(r.Results))
	if r.Tiny != nil {
		fmt.Fprint(w, "\n"+formatTiny(*r.Tiny))
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "\nnote: %s\n", n)
	}
}

// formatTable renders the results as an aligned text table: the first
// column left-aligned, the numbers right-aligned, "-" where a column does
// not apply.
func formatTable(results []Result) string {
	header := []string{"run", "wall s", "x baseline", "peak RSS MiB", "coord RSS MiB", "worker RSS MiB", "CPU s", "shuffle MiB"}
	rows := [][]string{header}
	for _, r := range results {
		row := []string{
			r.Name,
			fmt.Sprintf("%.2f", r.WallS),
			fmt.Sprintf("%.2f", r.Ratio),
			fmt.Sprintf("%.1f", r.PeakRSSMiB),
			"-", "-",
			fmt.Sprintf("%.2f", r.CPUS),
			"-",
		}
		if r.CoordinatorRSSMiB > 0 {
			row[4] = fmt.Sprintf("%.1f", r.CoordinatorRSSMiB)
		}
		if r.WorkerRSSMiB > 0 {
			row[5] = fmt.Sprintf("%.1f", r.WorkerRSSMiB)
		}
		if r.ShuffleMiB != nil {
			row[7] = fmt.Sprintf("%.1f", *r.ShuffleMiB)
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(header))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	var sb strings.Builder
	for n, row := range rows {
		for i, cell := range row {
			pad := strings.Repeat(" ", widths[i]-len([]rune(cell)))
			switch {
			case i == 0:
				sb.WriteString(cell + pad)
			default:
				sb.WriteString("  " + pad + cell)
			}
		}
		sb.WriteString("\n")
		if n == 0 {
			total := 2 * (len(widths) - 1)
			for _, w := range widths {
				total += w
			}
			sb.WriteString(strings.Repeat("-", total) + "\n")
		}
	}
	return sb.String()
}

// formatTiny renders the scheduling-rate line.
func formatTiny(t TinyResult) string {
	return fmt.Sprintf("scheduling: %d tiny inputs + %d reduces = %d tasks, %d workers: %.2f s, %.0f tasks/s (coordinator wall time; peak RSS %.1f MiB)\n",
		t.Inputs, t.NReduce, t.Tasks, t.Workers, t.WallS, t.TasksPerSec, t.PeakRSSMiB)
}

// WriteJSON writes the report to path.
func (r Report) WriteJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
