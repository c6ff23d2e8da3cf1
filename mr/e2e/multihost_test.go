package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/status"
	"6.5840/mr/tlsconf/tlstest"
)

// cluster is a job on a lab: the coordinator on host 0, a worker on each
// other host, every worker's local folder a private tmpfs.
type cluster struct {
	j       *job
	lab     *lab
	secret  string
	coord   *proc
	addr    string
	workers []*proc
	locals  []string
}

// cutOffBound bounds how long a worker cut off mid-map may take to exit:
// a lease to lose its attempt, a call's deadline and long-poll, the retry
// window, and slack for a loaded machine.
const cutOffBound = 30 * time.Second

// allTexts are every testdata text, for jobs that should take a while.
var allTexts = []string{"pg-being_ernest.txt", "pg-dorian_gray.txt", "pg-frankenstein.txt", "pg-grimm.txt",
	"pg-huckleberry_finn.txt", "pg-metamorphosis.txt", "pg-sherlock_holmes.txt", "pg-tom_sawyer.txt"}

// clusterConfig says what newCluster starts.
type clusterConfig struct {
	workers   int
	coordArgs []string
	// env is the workers' extra environment, workerArgs their extra
	// flags.
	env        []string
	workerArgs []string
	// tls gives every host a certificate naming its address, and turns
	// TLS on.
	tls bool
}

// newCluster starts the coordinator and one worker per host after the
// first.
func newCluster(t *testing.T, cfg clusterConfig) *cluster {
	l := newLab(t, cfg.workers+1)
	j := newJob(t, allTexts...)
	cl := &cluster{j: j, lab: l, secret: writeSecret(t)}
	var ca *tlstest.CA
	if cfg.tls {
		ca = tlstest.NewCA(t, l.id)
	}
	hostArgs := func(i int) []string {
		args := []string{"-secret-file", cl.secret}
		if ca != nil {
			args = append(args, tlsArgs(ca.Issue(fmt.Sprintf("host%d", i), l.hosts[i].ip))...)
		}
		return args
	}
	args := append(append([]string{"-addr", "tcp:" + l.hosts[0].ip + ":0"}, hostArgs(0)...), cfg.coordArgs...)
	cl.coord = l.hosts[0].start(j, "mrcoordinator", "", nil, append(args, j.inputs...)...)
	cl.addr = j.waitForAddr(cl.coord)
	for i := 1; i <= cfg.workers; i++ {
		local := filepath.Join(t.TempDir(), fmt.Sprintf("local-%d", i))
		args := append(append([]string{"-addr", cl.addr, "-local-dir", local}, hostArgs(i)...), cfg.workerArgs...)
		args = append(args, filepath.Join(bin, "probe.so"))
		w := l.hosts[i].start(j, "mrworker", local, cfg.env, args...)
		cl.workers, cl.locals = append(cl.workers, w), append(cl.locals, local)
	}
	return cl
}

// checkAnswer checks the job's output, and that no map output was ever
// left in the shared folder nor, from outside, in a worker's folder: each
// lived on its worker's tmpfs only.
func (cl *cluster) checkAnswer() {
	t := cl.j.t
	require.Equal(t, cl.j.want(), cl.j.output())
	require.Empty(t, cl.j.leftovers())
	for _, local := range cl.locals {
		empty(t, local)
	}
}

func TestMultiHostWordCount(t *testing.T) {
	t.Parallel()
	multiHostWordCount(t, false)
}

func TestMultiHostWordCountOverTLS(t *testing.T) {
	t.Parallel()
	multiHostWordCount(t, true)
}

// multiHostWordCount runs a word count on three worker hosts, each
// fetching map output from the others, with TLS or without.
func multiHostWordCount(t *testing.T, tls bool) {
	gate := "gate"
	// The status page listens on every address of the coordinator's host:
	// not loopback only, so it is HTTPS with TLS.
	coordArgs := []string{"-nreduce", "5", "-http", ":0"}
	// With TLS the workers listen on every address: each must advertise
	// its own, which its certificate names.
	var workerArgs []string
	if tls {
		workerArgs = []string{"-serve", ":0"}
	}
	cl := newCluster(t, clusterConfig{workers: 3, coordArgs: coordArgs, env: []string{"PROBE_MAP_GATE=" + gate}, workerArgs: workerArgs, tls: tls})
	cl.j.openGateOnceRegistered(cl.coord, filepath.Join(cl.j.dir, gate), len(cl.workers))
	require.NoError(t, cl.coord.wait(t))
	for _, w := range cl.workers {
		require.NoError(t, w.wait(t))
	}
	cl.checkAnswer()
	report := cl.j.report()
	require.Len(t, report.Workers, 3)
	for _, w := range report.Workers {
		require.True(t, strings.HasPrefix(w.Server, cl.lab.subnet+"."), "worker %d serves at %q", w.ID, w.Server)
	}
	require.Positive(t, report.Counters["shuffle_bytes_fetched"], "map output crossed the network")
	require.Contains(t, cl.coord.log(), fmt.Sprintf(`msg="coordinator listening" addr=%s maps=%d reduces=5 tls=%t`, cl.addr, len(allTexts), tls))
	for _, w := range cl.workers {
		require.Contains(t, w.log(), fmt.Sprintf("tls=%t", tls))
	}
	scheme := map[bool]string{false: "http", true: "https"}[tls]
	require.Contains(t, cl.coord.log(), `msg="status page" url=`+scheme+"://")
}

func TestMultiHostTwoOfThreeWorkersKilledUnderTheReducePhase(t *testing.T) {
	t.Parallel()
	gate := "gate"
	cl := newCluster(t, clusterConfig{workers: 3, coordArgs: []string{"-nreduce", "6"}, env: []string{"PROBE_REDUCE_GATE=" + gate}})
	j := cl.j
	j.waitFor("a reducer at the gate", func() bool { return len(j.reducersAtGate()) >= 1 })
	// Kill two workers; the one left must make their map output again.
	for _, w := range cl.workers[:2] {
		w.signal(t, syscall.SIGKILL)
		w.wait(t)
	}
	require.NoError(t, os.WriteFile(filepath.Join(j.dir, gate), nil, 0o644))
	require.NoError(t, cl.coord.wait(t))
	require.NoError(t, cl.workers[2].wait(t))
	cl.locals = cl.locals[2:] // the dead workers' tmpfs went with them
	cl.checkAnswer()
	report := j.report()
	require.Positive(t, report.Job.MapsRerun)
	for _, host := range cl.lab.hosts[1:3] {
		w := cl.reportedWorker(report, host.ip)
		require.Equal(t, status.WorkerLost, w.State, "the killed worker on %s", host.ip)
	}
}

func TestMultiHostLinkDownMidMap(t *testing.T) {
	t.Parallel()
	// Maps last longer than a lease: the cut-off worker loses its lease
	// mid-map.
	cl := newCluster(t, clusterConfig{workers: 3, coordArgs: []string{"-nreduce", "4"}, env: []string{"PROBE_MAP_SLEEP=4s"}})
	j := cl.j
	cut := cl.workers[0]
	pid := fmt.Sprint(cut.cmd.Process.Pid)
	j.waitFor("the first worker to start a map", func() bool {
		markers, err := filepath.Glob(filepath.Join(j.dir, "probe-map-*-"+pid+"-*"))
		require.NoError(t, err)
		return len(markers) > 0
	})
	cl.lab.hosts[1].setLink(false)
	cutAt := time.Now()

	require.NoError(t, cl.coord.wait(t))
	for _, w := range cl.workers[1:] {
		require.NoError(t, w.wait(t))
	}
	cl.checkAnswer()
	// The cut-off worker noticed, abandoned its attempt and exited on its
	// own (non-zero: it did not see the job end), having written nothing
	// to the shared folder.
	require.NotZero(t, exitCode(cut.wait(t)))
	noticed := cut.exitedAt.Sub(cutAt)
	t.Logf("the cut-off worker exited %v after its link went down", noticed.Round(time.Millisecond))
	require.Less(t, noticed, cutOffBound, "the cut-off worker took too long to notice")
	require.Contains(t, cut.log(), "cut off from the coordinator")
	require.Contains(t, cut.log(), "attempt abandoned")
	require.Equal(t, cl.j.want(), cl.j.output(), "the cut-off worker changed the output")
	report := cl.j.report()
	id := cl.reportedWorker(report, cl.lab.hosts[1].ip).ID
	require.True(t, slices.ContainsFunc(report.Attempts, func(a status.Attempt) bool {
		return a.Worker == id && a.Outcome == status.OutcomeRevoked && strings.HasPrefix(a.Error, "no heartbeat")
	}), "the coordinator revoked the cut-off worker's attempt by its lease")
}

// reportedWorker returns the worker of the job report that serves its
// map output at ip.
func (cl *cluster) reportedWorker(report status.Snapshot, ip string) status.Worker {
	i := slices.IndexFunc(report.Workers, func(w status.Worker) bool { return strings.HasPrefix(w.Server, ip+":") })
	require.GreaterOrEqual(cl.j.t, i, 0, "no worker serves at %s: %+v", ip, report.Workers)
	return report.Workers[i]
}
