package scale

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"6.5840/mr/auth"
)

// progressInterval is how often a run reports its progress.
const progressInterval = 5 * time.Second

// workersGrace bounds the wait for the simulated workers once the
// coordinator has exited: their connections are closed by then.
const workersGrace = 10 * time.Second

// sim is what a run's workers share.
type sim struct {
	cfg    Config
	jobDir string
	dialer *dialer
	tally  *tally
}

// progress passes line to the run's progress function, if any.
func (s *sim) progress(line string) {
	if s.cfg.Progress != nil {
		s.cfg.Progress(line)
	}
}

// Run starts the coordinator and runs cfg.Workers simulated workers
// against it until the job is over, and returns the run's figures. It
// fails if the job fails, a worker meets an error, the coordinator
// passes its RSS limit, or the run takes longer than cfg.Timeout.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if err := raiseFileLimit(descriptorsFor(cfg.Workers, cfg.Conns)); err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp(cfg.Dir, "mrbench-scale-")
	if err != nil {
		return Result{}, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(dir)
	}
	if err := prepareJob(dir, cfg.Maps); err != nil {
		return Result{}, err
	}
	secret, err := auth.LoadSecret(filepath.Join(dir, secretName))
	if err != nil {
		return Result{}, err
	}
	addr, err := freeAddr()
	if err != nil {
		return Result{}, err
	}
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	s := &sim{cfg: cfg, jobDir: dir, dialer: newDialer(addr, secret, cfg.MaxDialing), tally: newTally()}
	coord, err := startCoordinator(cfg, dir, addr, s.tally.start)
	if err != nil {
		return Result{}, err
	}
	defer coord.kill()
	if cfg.Started != nil {
		cfg.Started(coord.cmd.Process)
	}
	s.progress(fmt.Sprintf("coordinator pid %d on %s, job folder %s", coord.cmd.Process.Pid, addr, dir))
	if err := s.runWorkers(ctx, coord); err != nil {
		return Result{}, err
	}
	return s.result(coord, &before), nil
}

// runWorkers runs the simulated workers until the coordinator exits, and
// returns the first error of either.
func (s *sim) runWorkers(ctx context.Context, coord *coordinatorProc) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var wg sync.WaitGroup
	for i := range s.cfg.Workers {
		w := &simWorker{index: i, s: s}
		wg.Go(func() {
			if err := w.run(ctx); err != nil && ctx.Err() == nil {
				s.tally.fail(err)
			}
		})
	}
	workersDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(workersDone)
	}()
	ticker := time.NewTicker(progressInterval)
	defer ticker.Stop()
	ended := workersDone
	for waiting := true; waiting; {
		select {
		case <-coord.done:
			waiting = false
		case <-ended:
			if s.tally.toldExit.Load() > 0 {
				// The job is over: the coordinator is finishing it.
				ended = nil
				continue
			}
			// Every worker ended (failed, or dropped) with the job not
			// over: nothing is left to run it.
			coord.kill()
			<-coord.done
			return fmt.Errorf("every simulated worker ended before the job (%d failed; the first: %w) (%s)", s.tally.failed.Load(), s.tally.firstError(), s.status())
		case <-ctx.Done():
			coord.kill()
			<-coord.done
			return fmt.Errorf("the run did not end within %v: %s", s.cfg.Timeout, s.status())
		case <-ticker.C:
			s.progress(s.status())
		}
	}
	if err := coord.failure(); err != nil {
		return fmt.Errorf("%w (%s)", err, s.status())
	}
	cancel()
	select {
	case <-workersDone:
	case <-time.After(workersGrace):
		return errors.New("simulated workers still running after the coordinator exited")
	}
	// Workers that failed while the job still ended are figures of the
	// run (Result.FailedWorkers), not its failure.
	return nil
}

// status is a line on how far the run is.
func (s *sim) status() string {
	t := s.tally
	return fmt.Sprintf("%.0f s: handed out %d, committed %d of %d, revoked %d, lost workers %d, failed workers %d",
		time.Since(t.start).Seconds(), t.handOuts.Load(), t.committed.Load(), s.cfg.Maps+s.cfg.NReduce, t.revoked.Load(), t.relost.Load(), t.failed.Load())
}

// result gathers the figures of a run whose coordinator has exited;
// before is this process's usage at the start.
func (s *sim) result(coord *coordinatorProc, before *syscall.Rusage) Result {
	t := s.tally
	var after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	r := Result{
		Workers: s.cfg.Workers, Maps: s.cfg.Maps, NReduce: s.cfg.NReduce,
		Wall:      coord.exited - time.Duration(t.firstHandOut.Load()),
		Elapsed:   coord.exited,
		Committed: t.committed.Load(), HandOuts: t.handOuts.Load(), Reruns: t.reruns.Load(),
		Revoked: t.revoked.Load(), Superseded: t.superseded.Load(), Relost: t.relost.Load(),
		LocationsChecked: t.locations.Load(), MaxRuns: t.maxRuns.Load(), LocationPages: t.pages.Load(),
		FailedWorkers: t.failed.Load(), FirstError: t.firstError(),
		SimulatorRSS: after.Maxrss * kib,
		SimulatorCPU: cpuTime(&after) - cpuTime(before),
		HandOut:      t.handOut.summary(), Heartbeat: t.beat.summary(),
		LoadAverage: loadAverage(),
	}
	r.DroppedTasks, r.DroppedRerun = t.watchedRerun()
	r.CoordinatorRSS, r.CoordinatorCPU = coord.usage()
	return r
}

// loadAverage returns the machine's load averages, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	fields := strings.Fields(string(b))
	if err != nil || len(fields) < 3 {
		return "?"
	}
	return strings.Join(fields[:3], " ")
}
