package e2e

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/shuffle"
	"6.5840/mr/status"
	"6.5840/mr/transport"
)

// secretLen is the size of the secrets the tests make.
const secretLen = 32

// junkHangUp bounds how long the coordinator may keep a connection that
// does not authenticate: its handshake timeout, and some slack.
const junkHangUp = 3 * transport.HandshakeTimeout

// writeSecret writes a fresh random secret file, mode 0600, and returns
// its path.
func writeSecret(t testing.TB) string {
	t.Helper()
	secret := make([]byte, secretLen)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(path, secret, 0o600))
	return path
}

var listeningRE = regexp.MustCompile(`msg="coordinator listening" addr=(tcp:\S+)`)

// waitForAddr waits until the coordinator logs the address it listens on.
func (j *job) waitForAddr(c *proc) string {
	var addr string
	j.waitFor("the coordinator's address", func() bool {
		if m := listeningRE.FindStringSubmatch(c.log()); m != nil {
			addr = m[1]
			return true
		}
		require.False(j.t, c.exited(), "the coordinator exited: %s", c.log())
		return false
	})
	return addr
}

// tcpWorker starts a worker of the job at addr with secret, keeping its
// map output in a folder of its own, which it returns.
func (j *job) tcpWorker(addr, secret string, env ...string) (*proc, string) {
	local := j.t.TempDir()
	p := j.start("mrworker", env, "-addr", addr, "-secret-file", secret, "-local-dir", local, filepath.Join(bin, "probe.so"))
	return p, local
}

// openGateOnceRegistered opens the probe's gate once n workers have
// registered, so that none of them finds the job over before it joins.
func (j *job) openGateOnceRegistered(c *proc, gate string, n int) {
	j.waitFor("the workers to register", func() bool { return strings.Count(c.log(), `msg="worker registered"`) >= n })
	require.NoError(j.t, os.WriteFile(gate, nil, 0o644))
}

// report reads the job report.
func (j *job) report() status.Snapshot {
	data, err := os.ReadFile(filepath.Join(j.dir, "mr-report.json"))
	require.NoError(j.t, err)
	var report status.Snapshot
	require.NoError(j.t, json.Unmarshal(data, &report))
	return report
}

func empty(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "%s is not empty", dir)
}

func TestTCPWordCountWithLocalMapOutput(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	secret := writeSecret(t)
	c := j.coordinator("-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-nreduce", "4")
	addr := j.waitForAddr(c)
	var workers []*proc
	var locals []string
	gate := filepath.Join(j.dir, "gate")
	for range 3 {
		w, local := j.tcpWorker(addr, secret, "PROBE_MAP_GATE="+gate)
		workers, locals = append(workers, w), append(locals, local)
	}
	j.openGateOnceRegistered(c, gate, len(workers))
	require.NoError(t, c.wait(t))
	for _, w := range workers {
		require.NoError(t, w.wait(t))
	}
	require.Equal(t, j.want(), j.output())
	require.Empty(t, j.leftovers(), "map output belongs in the workers' own folders")
	for _, local := range locals {
		empty(t, local)
	}
	report := j.report()
	for _, w := range report.Workers {
		require.True(t, strings.HasPrefix(w.Server, "127.0.0.1:"), "worker %d serves at %q", w.ID, w.Server)
	}
	require.Positive(t, report.Counters["shuffle_bytes_fetched"], "reducers fetched map output over the network")
	secretBytes, err := os.ReadFile(secret)
	require.NoError(t, err)
	for _, p := range append(workers, c) {
		require.NotContains(t, p.log(), string(secretBytes))
	}
}

func TestTCPRefusesWhatCannotAuthenticate(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pg-metamorphosis.txt")
	secret := writeSecret(t)

	// No coordinator listens on TCP without a secret, or with a bad one.
	bare := j.start("mrcoordinator", nil, "-addr", "tcp:127.0.0.1:0", j.inputs[0])
	require.Equal(t, 2, exitCode(bare.wait(t)))
	require.Contains(t, bare.log(), "-secret-file")
	loose := filepath.Join(t.TempDir(), "loose")
	require.NoError(t, os.WriteFile(loose, []byte(strings.Repeat("s", secretLen)), 0o644))
	short := filepath.Join(t.TempDir(), "short")
	require.NoError(t, os.WriteFile(short, []byte("tiny"), 0o600))
	for _, bad := range []struct{ file, want string }{{loose, "group or others"}, {short, "16"}} {
		p := j.start("mrcoordinator", nil, "-addr", "tcp:127.0.0.1:0", "-secret-file", bad.file, j.inputs[0])
		require.Equal(t, 2, exitCode(p.wait(t)))
		require.Contains(t, p.log(), bad.want)
		require.Contains(t, p.log(), bad.file)
	}

	c := j.coordinator("-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-nreduce", "2")
	addr := j.waitForAddr(c)
	hostPort := strings.TrimPrefix(addr, "tcp:")

	wrong, _ := j.tcpWorker(addr, writeSecret(t))
	require.Equal(t, 1, exitCode(wrong.wait(t)))
	require.Contains(t, wrong.log(), "authenticat")
	missing := j.start("mrworker", nil, "-addr", addr, filepath.Join(bin, "probe.so"))
	require.Equal(t, 2, exitCode(missing.wait(t)))
	require.Contains(t, missing.log(), "-secret-file")

	// Garbage, an HTTP request and a silent connection cost nothing.
	for _, junk := range []string{"GET / HTTP/1.0\r\n\r\n", "\x00\x01garbage\xff"} {
		conn, err := net.Dial("tcp", hostPort)
		require.NoError(t, err)
		_, err = conn.Write([]byte(junk))
		require.NoError(t, err)
		// The coordinator hangs up, at the latest when the handshake times
		// out.
		conn.SetReadDeadline(time.Now().Add(junkHangUp))
		buf := make([]byte, 512)
		for err == nil {
			_, err = conn.Read(buf)
		}
		require.NotErrorIs(t, err, os.ErrDeadlineExceeded, "the coordinator kept a connection that sent %q", junk)
		conn.Close()
	}
	silent, err := net.Dial("tcp", hostPort)
	require.NoError(t, err)
	defer silent.Close()

	good, _ := j.tcpWorker(addr, secret)
	require.NoError(t, c.wait(t))
	require.NoError(t, good.wait(t))
	require.Equal(t, j.want(), j.output())
	require.GreaterOrEqual(t, strings.Count(c.log(), "connection refused"), 3, "each refusal is logged")
	require.Contains(t, c.log(), "peer=127.0.0.1:")
}

var serverRE = regexp.MustCompile(`msg="worker registered" worker=(\d+) host=\S+ pid=(\d+) server=(\S+)`)

func TestTCPForgedOrUnsignedFetchIsRefused(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pg-metamorphosis.txt")
	secret := writeSecret(t)
	gate := filepath.Join(j.dir, "gate")
	c := j.coordinator("-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-nreduce", "1")
	addr := j.waitForAddr(c)
	w, _ := j.tcpWorker(addr, secret, "PROBE_REDUCE_GATE="+gate)
	j.waitFor("the reducer at the gate", func() bool { return len(j.reducersAtGate()) == 1 })
	m := serverRE.FindStringSubmatch(c.log())
	require.NotNil(t, m, c.log())
	server := m[3]

	base := "http://" + server + shuffle.Path + "?job=x&map=0&attempt=1&reduce=0"
	for path, want := range map[string]int{
		base:                     http.StatusUnauthorized,
		"http://" + server + "/": http.StatusNotFound,
		"http://" + server + shuffle.Path + "/../../etc/passwd":    http.StatusNotFound,
		"http://" + server + "/debug/pprof/":                       http.StatusNotFound,
		"http://" + server + "/v1/%2e%2e/%2e%2e/etc/passwd":        http.StatusNotFound,
		"http://" + server + shuffle.Path + "?job=x&map=../../etc": http.StatusUnauthorized,
	} {
		resp, err := http.Get(path)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, want, resp.StatusCode, path)
	}
	// Signed with a key that is not the job's: refused.
	forger, err := shuffle.NewFetcher(shuffle.FetcherConfig{Key: []byte(strings.Repeat("k", secretLen)), Job: "x", Tries: 1})
	require.NoError(t, err)
	defer forger.Close()
	var sink strings.Builder
	_, err = forger.Fetch(context.Background(), server, 0, 1, 0, &sink)
	require.ErrorIs(t, err, shuffle.ErrRequestRefused)
	require.Zero(t, sink.Len())

	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	require.NoError(t, c.wait(t))
	require.NoError(t, w.wait(t))
	require.Equal(t, j.want(), j.output())
}

func TestTCPKilledMapWorkersOutputIsMadeAgain(t *testing.T) {
	t.Parallel()
	texts := []string{"pg-being_ernest.txt", "pg-dorian_gray.txt", "pg-frankenstein.txt", "pg-grimm.txt",
		"pg-huckleberry_finn.txt", "pg-metamorphosis.txt"}
	j := newJob(t, texts...)
	secret := writeSecret(t)
	gate := filepath.Join(j.dir, "gate")
	c := j.coordinator("-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-nreduce", "2")
	addr := j.waitForAddr(c)
	var workers []*proc
	for range 2 {
		w, _ := j.tcpWorker(addr, secret, "PROBE_REDUCE_GATE="+gate, "PROBE_MAP_SLEEP=100ms")
		workers = append(workers, w)
	}
	j.waitFor("a reducer at the gate", func() bool { return len(j.reducersAtGate()) >= 1 })
	// Kill a worker other than the first at the gate: its map output is
	// gone with it.
	atGate := j.reducersAtGate()[0]
	victim := workers[0]
	if victim.cmd.Process.Pid == pidOf(t, atGate) {
		victim = workers[1]
	}
	victim.signal(t, syscall.SIGKILL)
	victim.wait(t)
	require.NoError(t, os.WriteFile(gate, nil, 0o644))

	survivor := workers[0]
	if survivor == victim {
		survivor = workers[1]
	}
	require.NoError(t, c.wait(t))
	require.NoError(t, survivor.wait(t))
	require.Equal(t, j.want(), j.output())
	report := j.report()
	require.Positive(t, report.Job.MapsRerun)
	calls := 0
	for _, n := range j.mapCalls() {
		calls += n
	}
	require.Greater(t, calls, len(texts), "the killed worker's maps ran again")
	lost := slices.IndexFunc(report.Workers, func(w status.Worker) bool { return w.State == status.WorkerLost })
	require.GreaterOrEqual(t, lost, 0, "the killed worker is lost")
	require.Equal(t, victim.cmd.Process.Pid, report.Workers[lost].PID, "the killed worker is the one lost")
}

func pidOf(t *testing.T, s string) int {
	var pid int
	for _, r := range s {
		require.True(t, r >= '0' && r <= '9', "pid %q", s)
		pid = pid*10 + int(r-'0')
	}
	return pid
}
