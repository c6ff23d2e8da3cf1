package e2e

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/bench/gensort"
	"6.5840/mr/bench/valsort"
	"6.5840/mr/jobfiles"
	"6.5840/mr/status"
)

// The sort runs' shape: 64 MiB of gensort records (256 MiB, the size of
// the machine-failure run docs/PERFORMANCE.md reports, takes a minute a
// run, too long for go test's ten minutes at -count=10), sortReduces
// reduce tasks, one worker on each of sortWorkers hosts.
const (
	sortBytes   = 64 << 20
	sortReduces = 6
	sortWorkers = 3
)

// sortCluster is a sort job in total order on a lab: the coordinator on
// host 0, a worker running sort.so on each other host, each with its
// map output on a private tmpfs.
type sortCluster struct {
	j       *job
	lab     *lab
	coord   *proc
	workers []*proc
}

// newSortCluster generates the records into files files of a job folder
// and starts the coordinator with -total-order and coordArgs, and the
// workers.
func newSortCluster(t *testing.T, files int, coordArgs []string) *sortCluster {
	l := newLab(t, sortWorkers+1)
	j := newJob(t)
	g, err := gensort.New(gensort.Config{Records: gensort.RecordsIn(sortBytes), Seed: 18, Keys: gensort.Zipf})
	require.NoError(t, err)
	for i := range files {
		j.inputs = append(j.inputs, filepath.Join(j.dir, fmt.Sprintf("gensort-%d", i)))
	}
	require.NoError(t, g.WriteFiles(j.inputs))
	secret := writeSecret(t)
	sc := &sortCluster{j: j, lab: l}
	// -v: the tests follow the attempts' starts in the log.
	args := append([]string{"-addr", "tcp:" + l.hosts[0].ip + ":0", "-secret-file", secret, "-total-order",
		"-nreduce", fmt.Sprint(sortReduces), "-v"}, coordArgs...)
	sc.coord = l.hosts[0].start(j, "mrcoordinator", "", nil, append(args, j.inputs...)...)
	addr := j.waitForAddr(sc.coord)
	for i := 1; i <= sortWorkers; i++ {
		local := filepath.Join(t.TempDir(), fmt.Sprintf("local-%d", i))
		w := l.hosts[i].start(j, "mrworker", local, nil, "-addr", addr, "-local-dir", local, "-secret-file", secret,
			filepath.Join(bin, "sort.so"))
		sc.workers = append(sc.workers, w)
	}
	return sc
}

// validate checks mr-out-0 .. mr-out-(R-1), read in order, against the
// inputs: sorted across files, the same records.
func (sc *sortCluster) validate() {
	outputs := make([]string, sortReduces)
	for r := range outputs {
		outputs[r] = filepath.Join(sc.j.dir, jobfiles.Output(r))
	}
	sum, err := valsort.Validate(sc.j.inputs, outputs)
	require.NoError(sc.j.t, err)
	require.Equal(sc.j.t, uint64(gensort.RecordsIn(sortBytes)), sum.Records)
}

// startedRE matches the coordinator's log line of an attempt handed to
// a worker (a debug line, but for backups): the worker's id and the
// attempt.
var startedRE = regexp.MustCompile(`msg="attempt started" worker=(\d+) \S+ attempt=(\w+)-\d+\.\d+`)

// started returns, in order, the kind of every attempt the coordinator
// has handed out ("map", "reduce", "sample") and the worker it went to.
func (sc *sortCluster) started() (kinds, workers []string) {
	for _, m := range startedRE.FindAllStringSubmatch(sc.coord.log(), -1) {
		workers, kinds = append(workers, m[1]), append(kinds, m[2])
	}
	return kinds, workers
}

// waitForStart waits until an attempt of kind has been handed out after
// the first after of them all, and returns how many have been.
func (sc *sortCluster) waitForStart(kind string, after int) int {
	n := 0
	sc.j.waitFor("a "+kind+" attempt", func() bool {
		kinds, _ := sc.started()
		for i := after; i < len(kinds); i++ {
			if kinds[i] == kind {
				n = len(kinds)
				return true
			}
		}
		require.False(sc.j.t, sc.coord.exited(), "the coordinator exited: %s", sc.coord.log())
		return false
	})
	return n
}

// killFiles is the file count of the run that kills hosts.
const killFiles = 8

// registeredRE matches the coordinator's log line of a registration.
var registeredRE = regexp.MustCompile(`msg="worker registered" worker=(\d+) host=\S+ pid=(\d+)`)

// busiest returns the live worker that has been handed the most map
// attempts so far: killing it loses committed map output for sure.
func (sc *sortCluster) busiest() *proc {
	ids := sc.workerIDs()
	maps := map[string]int{}
	kinds, workers := sc.started()
	for i, k := range kinds {
		if k == "map" {
			maps[workers[i]]++
		}
	}
	var best *proc
	for _, w := range sc.workers {
		id := ids[fmt.Sprint(w.cmd.Process.Pid)]
		if !w.exited() && (best == nil || maps[id] > maps[ids[fmt.Sprint(best.cmd.Process.Pid)]]) {
			best = w
		}
	}
	return best
}

// workerIDs returns the coordinator's id of each worker, by its pid.
func (sc *sortCluster) workerIDs() map[string]string {
	ids := map[string]string{}
	for _, m := range registeredRE.FindAllStringSubmatch(sc.coord.log(), -1) {
		ids[m[2]] = m[1]
	}
	return ids
}

// runningFirstMap returns the worker that was handed the job's first map
// attempt.
func (sc *sortCluster) runningFirstMap() *proc {
	sc.waitForStart("map", 0)
	kinds, workers := sc.started()
	id := workers[slices.Index(kinds, "map")]
	ids := sc.workerIDs()
	for _, w := range sc.workers {
		if ids[fmt.Sprint(w.cmd.Process.Pid)] == id {
			return w
		}
	}
	sc.j.t.Fatalf("no worker of id %s", id)
	return nil
}

// kill kills worker w's host (its only process).
func (sc *sortCluster) kill(w *proc) {
	w.signal(sc.j.t, syscall.SIGKILL)
	w.wait(sc.j.t)
}

func TestMultiHostSortSurvivesWorkerHostsKilledUnderShuffleAndReduce(t *testing.T) {
	sc := newSortCluster(t, killFiles, nil)
	// The first reduce attempt starts fetching: every map has committed,
	// and the reduces not started yet need the map outputs of the worker
	// killed now.
	seen := sc.waitForStart("reduce", 0)
	sc.kill(sc.busiest())
	// Its maps run again on the others; then, under the reduce phase
	// again, a second host goes too.
	seen = sc.waitForStart("map", seen)
	sc.waitForStart("reduce", seen)
	sc.kill(sc.busiest())

	require.NoError(t, sc.coord.wait(t))
	for _, w := range sc.workers {
		err := w.wait(t)
		if ws, ok := w.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			continue // one of the two killed
		}
		require.NoError(t, err, "the worker left")
	}
	sc.validate()
	report := sc.j.report()
	require.Positive(t, report.Job.MapsRerun, "the killed hosts' map outputs were made again")
	rerun := 0
	for _, a := range report.Attempts {
		if strings.HasPrefix(a.Task, "map-") && a.Outcome == status.OutcomeLost {
			rerun++
		}
	}
	require.Positive(t, rerun, "the report shows map attempts whose output was lost")
	t.Logf("maps rerun: %d; attempts whose output was lost: %d", report.Job.MapsRerun, rerun)
}

// Throttling: a throttled process runs throttleRun out of every
// throttlePeriod and is stopped (SIGSTOP) the rest, as a machine with a
// twentieth of the CPU would run it. Heartbeats still get through well within
// a lease.
const (
	throttleRun    = 10 * time.Millisecond
	throttlePeriod = 200 * time.Millisecond
)

// throttle slows p until the test ends or p exits.
func throttle(t *testing.T, p *proc) {
	stop := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-p.done:
				return
			case <-time.After(throttleRun):
			}
			p.cmd.Process.Signal(syscall.SIGSTOP)
			select {
			case <-stop:
			case <-p.done:
			case <-time.After(throttlePeriod - throttleRun):
			}
			p.cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-stopped
	})
}

// The backup run: backupFiles map tasks of 16 MiB, which a throttled
// worker takes several seconds to run, well past the backup rule's
// minimum age, backupMinAge (lowered from its default, 5 s, to keep the
// run short).
const (
	backupFiles  = 4
	backupMinAge = time.Second
)

func TestMultiHostSortBackupTasksAndAThrottledWorker(t *testing.T) {
	elapsed := map[bool]time.Duration{}
	for _, backup := range []bool{true, false} {
		start := time.Now()
		sc := newSortCluster(t, backupFiles, []string{fmt.Sprintf("-backup=%t", backup), "-backup-min-age", backupMinAge.String()})
		// The worker of the first map is slowed at once: that map
		// straggles.
		slow := sc.runningFirstMap()
		throttle(t, slow)
		require.NoError(t, sc.coord.wait(t))
		elapsed[backup] = time.Since(start)
		for _, w := range sc.workers {
			err := w.wait(t)
			if w == slow && backup && err != nil {
				// Its map, beaten by the backup, could not be stopped in
				// time: the worker exits as documented.
				require.Contains(t, w.log(), "exiting so that a fresh worker can take its place")
				continue
			}
			require.NoError(t, err)
		}
		sc.validate()
		backups := 0
		for _, a := range sc.j.report().Attempts {
			if a.Backup {
				backups++
			}
		}
		if backup {
			require.Positive(t, backups, "no backup attempt of the throttled worker's tasks")
			t.Logf("with backup tasks: %d backup attempts", backups)
		} else {
			require.Zero(t, backups, "-backup=false ran backup attempts")
		}
	}
	t.Logf("64 MiB sort, one of three workers at a twentieth of the CPU: %v with backup tasks, %v without",
		elapsed[true].Round(time.Millisecond), elapsed[false].Round(time.Millisecond))
}
