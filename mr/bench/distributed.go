package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"6.5840/mr/bench/baseline"
	"6.5840/mr/bench/corpus"
	"6.5840/mr/status"
	"6.5840/mr/task"
)

const (
	// maxSocketPath is the longest socket path the runs use: a Unix
	// socket's name is at most about 100 bytes.
	maxSocketPath = 100
	// workerExitWait bounds how long a worker may run on once the
	// coordinator has exited.
	workerExitWait = time.Minute
	// tinyWorkers and tinyNReduce shape the scheduling-rate run.
	tinyWorkers, tinyNReduce = 4, 10
	// reportFile is the job report the coordinator writes in its
	// directory.
	reportFile = "mr-report.json"
)

// single runs one program in a fresh directory dir and measures it.
func (r *runner) single(name, dir, path string, args []string) (Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, err
	}
	p, err := startProc(name, dir, "log.txt", r.env, path, args...)
	if err != nil {
		return Result{}, err
	}
	if !p.waitFor(r.cfg.Timeout) {
		p.kill()
		<-p.done
		return Result{}, fmt.Errorf("%s: still running after %v (-timeout); log: %s", name, r.cfg.Timeout, p.log)
	}
	if err := p.failure(); err != nil {
		return Result{}, err
	}
	return Result{Name: name, WallS: p.wall.Seconds(), PeakRSSMiB: kibToMiB(p.maxRSSKiB()), CPUS: p.cpu().Seconds(), Processes: 1}, nil
}

// measure runs a coordinator and workers running app (the worker's
// arguments after -addr) over the corpus, in a folder named after the
// run, checks their output against the baseline's, and adds the result
// to rep.
func (r *runner) measure(rep *Report, name string, app, workerEnv []string) (Result, error) {
	r.cfg.progress("running %s", name)
	dir := filepath.Join(r.work, strings.ReplaceAll(name, " ", "-"))
	res, err := r.distributed(name, dir, app, r.inputs, r.cfg.NReduce, r.cfg.Workers, workerEnv)
	if err != nil {
		return res, err
	}
	if err := verify(dir, r.want); err != nil {
		return res, fmt.Errorf("%s: %w (outputs and logs in %s)", name, err, dir)
	}
	if !r.cfg.Keep {
		os.RemoveAll(dir) // the intermediate files of the next run need the room
	}
	r.done(&res)
	rep.Results = append(rep.Results, res)
	return res, nil
}

// distributed runs a coordinator and workers in dir, with a socket in dir,
// and measures them. The wall time is the coordinator's: from its start to
// its exit once the job is done.
func (r *runner) distributed(name, dir string, app []string, inputs []string, nReduce, workers int, workerEnv []string) (Result, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Result{}, err
	}
	sock := filepath.Join(dir, "mr.sock")
	if len(sock) > maxSocketPath {
		return Result{}, fmt.Errorf("socket path %s is too long for a Unix socket: use a shorter -work directory", sock)
	}
	procs, err := r.startJob(dir, sock, app, inputs, nReduce, workers, workerEnv)
	if err != nil {
		return Result{}, err
	}
	shuffle, err := r.awaitJob(name, dir, procs)
	if err != nil {
		killAll(procs)
		return Result{}, err
	}
	coord := procs[0]
	shuffleMiB := float64(shuffle) / bytesPerMiB
	res := Result{Name: name, WallS: coord.wall.Seconds(), CoordinatorRSSMiB: kibToMiB(coord.maxRSSKiB()),
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

// startJob starts a coordinator on sock in dir and workers running app,
// the coordinator first.
func (r *runner) startJob(dir, sock string, app, inputs []string, nReduce, workers int, workerEnv []string) ([]*proc, error) {
	coordArgs := append([]string{"-addr", sock, "-nreduce", strconv.Itoa(nReduce)}, r.coordFlags...)
	coordArgs = append(coordArgs, inputs...)
	coord, err := startProc("coordinator", dir, "coordinator.log", r.env, r.bins.coordinator, coordArgs...)
	if err != nil {
		return nil, err
	}
	procs := []*proc{coord}
	wenv := append(append([]string(nil), r.env...), workerEnv...)
	for i := range workers {
		w, err := startProc(fmt.Sprintf("worker %d", i+1), dir, fmt.Sprintf("worker-%d.log", i+1), wenv, r.bins.worker, append([]string{"-addr", sock}, app...)...)
		if err != nil {
			killAll(procs)
			return nil, err
		}
		procs = append(procs, w)
	}
	return procs, nil
}

// awaitJob waits for the job's coordinator, procs[0], to finish it and
// for the workers to exit, and returns the job's map output size.
func (r *runner) awaitJob(name, dir string, procs []*proc) (int64, error) {
	coord := procs[0]
	if !coord.waitFor(r.cfg.Timeout) {
		return 0, fmt.Errorf("%s: not done after %v (-timeout); logs in %s", name, r.cfg.Timeout, dir)
	}
	if err := coord.failure(); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	shuffle, err := shuffleBytes(filepath.Join(dir, reportFile))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	for _, w := range procs[1:] {
		if !w.waitFor(workerExitWait) {
			return 0, fmt.Errorf("%s: %s still running a minute after the coordinator exited; log: %s", name, w.role, w.log)
		}
		if err := w.failure(); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	return shuffle, nil
}

// killAll kills the processes that still run and waits for all to exit.
func killAll(procs []*proc) {
	for _, p := range procs {
		p.kill()
	}
	for _, p := range procs {
		<-p.done
	}
}

// tinyRun measures the scheduling rate: cfg.Tiny inputs of a few words,
// tinyWorkers workers, tinyNReduce reduce tasks; tasks per second of
// coordinator wall time.
func (r *runner) tinyRun(rep *Report) error {
	if r.cfg.Tiny == 0 || r.cfg.Skip[RunTiny] {
		return nil
	}
	inputs, err := corpus.WriteTiny(filepath.Join(r.work, "tiny-inputs"), r.cfg.Tiny, r.cfg.Spec.Seed)
	if err != nil {
		return err
	}
	counts, err := baseline.WordCount(inputs, 0)
	if err != nil {
		return err
	}
	// Write the new inputs out now, so that the run does not pay for
	// making them.
	syscall.Sync()
	name := fmt.Sprintf("mr %dw %d tiny inputs", tinyWorkers, r.cfg.Tiny)
	r.cfg.progress("running %s", name)
	dir := filepath.Join(r.work, "tiny")
	res, err := r.distributed(name, dir, []string{r.bins.wc}, inputs, tinyNReduce, tinyWorkers, nil)
	if err != nil {
		return err
	}
	if err := verify(dir, countsToOutput(counts)); err != nil {
		return fmt.Errorf("%s: %w (outputs and logs in %s)", name, err, dir)
	}
	t := TinyResult{Inputs: r.cfg.Tiny, NReduce: tinyNReduce, Workers: tinyWorkers, Tasks: r.cfg.Tiny + tinyNReduce,
		WallS: res.WallS, PeakRSSMiB: res.PeakRSSMiB}
	t.TasksPerSec = float64(t.Tasks) / t.WallS
	r.cfg.progress("  %s: %.2f s, %.0f tasks/s, output matches", name, t.WallS, t.TasksPerSec)
	rep.Tiny = &t
	return nil
}

// shuffleBytes returns the size of the map output of a finished job: the
// bytes its committed map attempts wrote, from the job report. (Sampling
// the job's folder while it runs would cost the job itself, most of all
// a job of thousands of tiny tasks.)
func shuffleBytes(path string) (int64, error) {
	report, err := readReport(path)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, a := range report.Attempts {
		if strings.HasPrefix(a.Task, task.Map.String()+"-") && a.Outcome == status.OutcomeCommitted {
			total += a.Bytes
		}
	}
	return total, nil
}

// readReport reads the job report at path.
func readReport(path string) (status.Snapshot, error) {
	var report status.Snapshot
	data, err := os.ReadFile(path)
	if err != nil {
		return report, fmt.Errorf("job report: %w", err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return report, fmt.Errorf("job report %s: %w", path, err)
	}
	return report, nil
}
