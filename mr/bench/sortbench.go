package bench

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"6.5840/mr/bench/gensort"
	"6.5840/mr/bench/valsort"
	"6.5840/mr/cli"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
)

// Defaults of the sort benchmark (SortConfig).
const (
	DefaultSortSize    = 1 << 30
	DefaultSortFiles   = 16
	DefaultSortNReduce = 4
	// ddBytes is how much the disk measurement writes and reads back.
	ddBytes = 1 << 30
	ddBlock = "1M"
)

// gnuSortMemory is GNU sort's buffer size (-S): half the machine's
// memory, the benchmark's fixed setting.
const gnuSortMemory = "50%"

// SortConfig says what RunSort measures: Size bytes of gensort records in
// Files files, for each of Skews, sorted by GNU sort (LC_ALL=C sort
// --parallel=Workers -S 50%) and by a coordinator with Workers workers
// running sort.so with -total-order and NReduce reduce tasks.
type SortConfig struct {
	Bin              string
	Size             int64
	Files            int
	Seed             uint64
	Skews            []gensort.Distribution
	Workers, NReduce int
	Work             string
	Keep             bool
	Timeout          time.Duration
	Progress         func(line string)
}

// DefaultSortConfig returns the sort benchmark's defaults: 1 GiB,
// uniform and Zipf keys.
func DefaultSortConfig() SortConfig {
	return SortConfig{Bin: DefaultBin, Size: DefaultSortSize, Files: DefaultSortFiles, Seed: 1,
		Skews: []gensort.Distribution{gensort.Uniform, gensort.Zipf}, Workers: DefaultWorkers,
		NReduce: DefaultSortNReduce, Timeout: DefaultTimeout}
}

// SortResult is one measured sort.
type SortResult struct {
	Name string `json:"name"`
	Skew string `json:"skew"`
	// WallS is the run's wall time; RatioToGNU its ratio to GNU sort's
	// on the same data.
	WallS      float64 `json:"wall_s"`
	RatioToGNU float64 `json:"ratio_to_gnu_sort"`
	// PeakRSSMiB is the largest peak RSS of any process of the run;
	// CoordinatorRSSMiB and WorkerRSSMiB the coordinator's and the
	// largest worker's.
	PeakRSSMiB        float64 `json:"peak_rss_mib"`
	CoordinatorRSSMiB float64 `json:"coordinator_rss_mib,omitempty"`
	WorkerRSSMiB      float64 `json:"worker_max_rss_mib,omitempty"`
	CPUS              float64 `json:"cpu_s"`
	// ShuffleMiB is the map output; WrittenMiB every byte the job wrote
	// (map output and final outputs), from the job report.
	ShuffleMiB float64 `json:"shuffle_mib,omitempty"`
	WrittenMiB float64 `json:"written_mib,omitempty"`
}

// SortReport is everything RunSort measured.
type SortReport struct {
	Time    string `json:"time"`
	CPUs    int    `json:"cpus"`
	LoadAvg string `json:"load_avg_at_start,omitempty"`
	Size    int64  `json:"size"`
	Files   int    `json:"files"`
	Workers int    `json:"workers"`
	NReduce int    `json:"nreduce"`
	// DiskWriteMBs and DiskReadMBs are the scratch disk's sequential
	// bandwidth, in MB/s, with O_DIRECT (dd), beside the runs.
	DiskWriteMBs float64      `json:"disk_write_mb_s,omitempty"`
	DiskReadMBs  float64      `json:"disk_read_mb_s,omitempty"`
	Results      []SortResult `json:"results"`
}

// RunSort runs the sort benchmark. Every output is validated against its
// input (valsort.Validate): a sort that is wrong is an error, not a
// figure.
func RunSort(cfg SortConfig) (SortReport, error) {
	bins, err := findBinaries(cfg.Bin)
	if err != nil {
		return SortReport{}, err
	}
	r := &runner{cfg: Config{Timeout: cfg.Timeout, Keep: cfg.Keep, Progress: cfg.Progress}, bins: bins,
		env: childEnv(), coordFlags: []string{"-total-order"}}
	if r.work, err = os.MkdirTemp(cfg.Work, "mrbench-sort-"); err != nil {
		return SortReport{}, err
	}
	if r.work, err = filepath.Abs(r.work); err != nil {
		return SortReport{}, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(r.work)
	}
	rep := SortReport{Time: time.Now().UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(), LoadAvg: loadAvg(),
		Size: cfg.Size, Files: cfg.Files, Workers: cfg.Workers, NReduce: cfg.NReduce}
	if rep.DiskWriteMBs, rep.DiskReadMBs, err = diskBandwidth(r.work); err != nil {
		r.cfg.progress("disk bandwidth not measured: %v", err)
	}
	for _, skew := range cfg.Skews {
		results, err := r.sortSkew(cfg, skew)
		rep.Results = append(rep.Results, results...)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// sortSkew generates the data of one key distribution and sorts it with
// GNU sort and with the engine.
func (r *runner) sortSkew(cfg SortConfig, skew gensort.Distribution) ([]SortResult, error) {
	dir := filepath.Join(r.work, skew.String())
	inputs, err := generateSort(filepath.Join(dir, "data"), cfg, skew)
	if err != nil {
		return nil, err
	}
	r.cfg.progress("%s: sorting with GNU sort", skew)
	gnu, err := r.gnuSort(filepath.Join(dir, "gnu"), inputs, cfg.Workers)
	if err != nil {
		return nil, err
	}
	gnu.Skew = skew.String()
	r.cfg.progress("  %.2f s, peak RSS %.0f MiB", gnu.WallS, gnu.PeakRSSMiB)
	name := fmt.Sprintf("mr %dw -total-order", cfg.Workers)
	r.cfg.progress("%s: sorting with %s", skew, name)
	mr, err := r.engineSort(name, filepath.Join(dir, "mr"), inputs, cfg)
	if err != nil {
		return []SortResult{gnu}, err
	}
	mr.Skew, mr.RatioToGNU = skew.String(), mr.WallS/gnu.WallS
	gnu.RatioToGNU = 1
	r.cfg.progress("  %.2f s (%.2fx GNU sort), coordinator %.0f MiB, largest worker %.0f MiB",
		mr.WallS, mr.RatioToGNU, mr.CoordinatorRSSMiB, mr.WorkerRSSMiB)
	os.RemoveAll(filepath.Join(dir, "data")) // the next distribution needs the room
	return []SortResult{gnu, mr}, nil
}

// generateSort writes the records of one run to dir and returns the files.
func generateSort(dir string, cfg SortConfig, skew gensort.Distribution) ([]string, error) {
	g, err := gensort.New(gensort.Config{Records: gensort.RecordsIn(cfg.Size), Seed: cfg.Seed, Keys: skew})
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	inputs := make([]string, cfg.Files)
	for j := range inputs {
		inputs[j] = filepath.Join(dir, fmt.Sprintf("gensort-%03d", j))
	}
	if err := g.WriteFiles(inputs); err != nil {
		return nil, err
	}
	syscall.Sync() // the runs do not pay for writing the data out
	return inputs, nil
}

// gnuSort sorts inputs with GNU sort into dir/sorted, checks the output
// and measures the run.
func (r *runner) gnuSort(dir string, inputs []string, parallel int) (SortResult, error) {
	out := filepath.Join(dir, "sorted")
	args := append([]string{"--parallel=" + strconv.Itoa(parallel), "-S", gnuSortMemory, "-o", out}, inputs...)
	sortPath, err := exec.LookPath("sort")
	if err != nil {
		return SortResult{}, err
	}
	saved := r.env
	r.env = append(append([]string(nil), r.env...), "LC_ALL=C")
	res, err := r.single("GNU sort", dir, sortPath, args)
	r.env = saved
	if err != nil {
		return SortResult{}, err
	}
	if _, err := valsort.Validate(inputs, []string{out}); err != nil {
		return SortResult{}, fmt.Errorf("GNU sort's output: %w", err)
	}
	os.Remove(out)
	return SortResult{Name: "GNU sort", WallS: res.WallS, PeakRSSMiB: res.PeakRSSMiB, CPUS: res.CPUS}, nil
}

// engineSort sorts inputs with a coordinator and workers in dir, checks
// mr-out-0 .. mr-out-(R-1) in order, and measures the run.
func (r *runner) engineSort(name, dir string, inputs []string, cfg SortConfig) (SortResult, error) {
	res, err := r.distributed(name, dir, []string{r.bins.sort}, inputs, cfg.NReduce, cfg.Workers, nil)
	if err != nil {
		return SortResult{}, err
	}
	outputs := make([]string, cfg.NReduce)
	for i := range outputs {
		outputs[i] = filepath.Join(dir, jobfiles.Output(i))
	}
	if _, err := valsort.Validate(inputs, outputs); err != nil {
		return SortResult{}, fmt.Errorf("%s: %w (outputs and logs in %s)", name, err, dir)
	}
	report, err := readReport(filepath.Join(dir, reportFile))
	if err != nil {
		return SortResult{}, err
	}
	if !r.cfg.Keep {
		os.RemoveAll(dir)
	}
	return SortResult{Name: name, WallS: res.WallS, PeakRSSMiB: res.PeakRSSMiB, CoordinatorRSSMiB: res.CoordinatorRSSMiB,
		WorkerRSSMiB: res.WorkerRSSMiB, CPUS: res.CPUS, ShuffleMiB: *res.ShuffleMiB,
		WrittenMiB: float64(report.Counters[protocol.CounterBytesWritten]) / bytesPerMiB}, nil
}

// diskBandwidth measures the sequential write and read bandwidth of the
// disk under dir, in MB/s, with dd and O_DIRECT (no page cache).
func diskBandwidth(dir string) (write, read float64, err error) {
	path := filepath.Join(dir, "dd-test")
	defer os.Remove(path)
	count := strconv.Itoa(ddBytes >> 20)
	w, err := timed("dd", "if=/dev/zero", "of="+path, "bs="+ddBlock, "count="+count, "oflag=direct")
	if err != nil {
		return 0, 0, err
	}
	rd, err := timed("dd", "if="+path, "of=/dev/null", "bs="+ddBlock, "iflag=direct")
	if err != nil {
		return 0, 0, err
	}
	const bytesPerMB = 1e6
	return ddBytes / bytesPerMB / w.Seconds(), ddBytes / bytesPerMB / rd.Seconds(), nil
}

// timed runs a command and returns how long it took.
func timed(name string, args ...string) (time.Duration, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return time.Since(start), nil
}

// WriteText writes the report as a table.
func (r SortReport) WriteText(w io.Writer) {
	fmt.Fprintf(w, "sort benchmark: %s of gensort records in %d files, %d workers, -nreduce %d, %d CPUs, load average %s\n",
		cli.ByteSize(r.Size), r.Files, r.Workers, r.NReduce, r.CPUs, r.LoadAvg)
	if r.DiskWriteMBs > 0 {
		fmt.Fprintf(w, "disk (dd, O_DIRECT, 1 MiB blocks): write %.0f MB/s, read %.0f MB/s\n", r.DiskWriteMBs, r.DiskReadMBs)
	}
	fmt.Fprintf(w, "%-8s %-22s %8s %8s %8s %10s %10s %10s %10s\n",
		"keys", "run", "wall s", "x GNU", "cpu s", "peak MiB", "coord MiB", "shuffled", "written")
	for _, res := range r.Results {
		fmt.Fprintf(w, "%-8s %-22s %8.2f %8.2f %8.1f %10.0f %10s %10s %10s\n", res.Skew, res.Name, res.WallS,
			res.RatioToGNU, res.CPUS, res.PeakRSSMiB, mib(res.CoordinatorRSSMiB), mib(res.ShuffleMiB), mib(res.WrittenMiB))
	}
}

// mib formats a MiB figure, "-" for none.
func mib(v float64) string {
	if v == 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// Validate returns an error, naming the flag, for a value RunSort cannot
// use.
func (c SortConfig) Validate() error {
	switch {
	case c.Size < 0 || c.Files < 1:
		return errors.New("-size must not be negative and -files must be at least 1")
	case c.Workers < 1 || c.NReduce < 1:
		return errors.New("-workers and -nreduce must be at least 1")
	case len(c.Skews) == 0:
		return errors.New("-skew: no key distribution")
	}
	return nil
}
