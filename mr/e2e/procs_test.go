package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const (
	// processTimeout bounds every process a test starts, so that a bug
	// fails a test instead of hanging it.
	processTimeout = 90 * time.Second
	// pollInterval is how often a test looks for a condition it waits on.
	pollInterval = 20 * time.Millisecond
)

// bin holds the binaries and plugins built once for all tests.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mr-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = dir
	code := 1
	if err := build(dir); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// build compiles the commands and the test plugins with the same flags
// (-race when RACE=1, as make does).
func build(dir string) error {
	var flags []string
	if os.Getenv("RACE") == "1" {
		flags = append(flags, "-race")
	}
	builds := [][]string{
		append(append([]string{"build"}, flags...), "-o", dir+"/", "6.5840/cmd/..."),
		append(append([]string{"build"}, flags...), "-buildmode=plugin", "-o", filepath.Join(dir, "probe.so"), "6.5840/testdata/plugins/probe"),
		append(append([]string{"build"}, flags...), "-buildmode=plugin", "-o", filepath.Join(dir, "wc.so"), "6.5840/mrapps/wc"),
		append(append([]string{"build"}, flags...), "-buildmode=plugin", "-o", filepath.Join(dir, "sort.so"), "6.5840/mrapps/sort"),
	}
	for _, args := range builds {
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// proc is a running binary whose stderr is captured.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
	// exitedAt is when the process exited; set before done is closed.
	exitedAt time.Time
	mu       sync.Mutex // guards stderr
	stderr   bytes.Buffer
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

// log returns what the process wrote to stderr so far.
func (p *proc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// wait waits for the process to exit and returns its error.
func (p *proc) wait(t testing.TB) error {
	t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(processTimeout):
		t.Fatalf("%s did not exit within %v; stderr:\n%s", p.name, processTimeout, p.log())
		return nil
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig), "signal %s", p.name)
}

// job is one test's job directory, socket and processes.
type job struct {
	t      testing.TB
	dir    string
	addr   string
	inputs []string
	env    []string
}

// newJob makes a job directory holding copies of the named testdata texts.
func newJob(t testing.TB, texts ...string) *job {
	dir := t.TempDir()
	j := &job{t: t, dir: dir, addr: filepath.Join(dir, "mr.sock")}
	for _, name := range texts {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		require.NoError(t, err)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		j.inputs = append(j.inputs, path)
	}
	j.env = append(os.Environ(), "MR_ADDR="+j.addr, "PROBE_DIR="+dir)
	return j
}

// start runs a binary from bin in the job directory with extra environment
// variables; the process is killed when the test ends.
func (j *job) start(name string, env []string, args ...string) *proc {
	return j.run(name, filepath.Join(bin, name), env, args...)
}

// run runs program in the job directory with extra environment variables,
// as the process called name in messages; it is killed when the test
// ends, and its stderr shown if the test failed.
func (j *job) run(name, program string, env []string, args ...string) *proc {
	ctx, cancel := context.WithTimeout(context.Background(), processTimeout)
	p := &proc{name: name, done: make(chan struct{})}
	p.cmd = exec.CommandContext(ctx, program, args...)
	p.cmd.Dir = j.dir
	p.cmd.Env = append(slices.Clone(j.env), env...)
	p.cmd.Stderr = p
	require.NoError(j.t, p.cmd.Start())
	go func() {
		p.err = p.cmd.Wait()
		p.exitedAt = time.Now()
		cancel()
		close(p.done)
	}()
	j.t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Signal(syscall.SIGCONT)
			p.cmd.Process.Kill()
			<-p.done
		}
		if j.t.Failed() {
			j.t.Logf("%s (pid %d) stderr:\n%s", p.name, p.cmd.Process.Pid, p.log())
		}
	})
	return p
}

func (j *job) coordinator(args ...string) *proc {
	return j.start("mrcoordinator", nil, append(args, j.inputs...)...)
}

func (j *job) worker(env ...string) *proc {
	return j.start("mrworker", env, filepath.Join(bin, "probe.so"))
}

// waitFor polls cond until it holds, failing the test after processTimeout.
func (j *job) waitFor(what string, cond func() bool) {
	j.t.Helper()
	deadline := time.Now().Add(processTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			j.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pollInterval)
	}
}

// waitForSocket waits until the coordinator listens.
func (j *job) waitForSocket() {
	j.waitFor("the coordinator's socket", func() bool {
		_, err := os.Stat(j.addr)
		return err == nil
	})
}

// mapCalls counts Map calls per input base name, from probe markers.
func (j *job) mapCalls() map[string]int {
	entries, err := os.ReadDir(j.dir)
	require.NoError(j.t, err)
	calls := map[string]int{}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), "probe-map-")
		if !ok {
			continue
		}
		i := strings.Index(rest, ".txt-")
		require.True(j.t, i > 0, "odd marker %s", e.Name())
		calls[rest[:i+len(".txt")]]++
	}
	return calls
}

// output returns the sorted lines of every mr-out-* file.
func (j *job) output() []string {
	files, err := filepath.Glob(filepath.Join(j.dir, "mr-out-*"))
	require.NoError(j.t, err)
	var lines []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(j.t, err)
		lines = append(lines, splitLines(data)...)
	}
	slices.Sort(lines)
	return lines
}

// want runs mrsequential on the inputs in a directory of its own and
// returns its sorted lines.
func (j *job) want() []string {
	dir := j.t.TempDir()
	cmd := exec.Command(filepath.Join(bin, "mrsequential"), append([]string{filepath.Join(bin, "probe.so")}, j.inputs...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PROBE_DIR="+dir)
	out, err := cmd.CombinedOutput()
	require.NoError(j.t, err, "mrsequential: %s", out)
	data, err := os.ReadFile(filepath.Join(dir, "mr-out-0"))
	require.NoError(j.t, err)
	lines := splitLines(data)
	slices.Sort(lines)
	return lines
}

func splitLines(data []byte) []string {
	text := strings.TrimSuffix(string(data), "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// exitCode returns a process's exit status, or -1 if it was killed.
func exitCode(err error) int {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitErr.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// leftovers lists the files in the job directory other than inputs,
// outputs, probe markers and the socket.
func (j *job) leftovers() []string {
	entries, err := os.ReadDir(j.dir)
	require.NoError(j.t, err)
	var left []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".txt"), strings.HasPrefix(name, "mr-out-"),
			strings.HasPrefix(name, "probe-"), strings.HasPrefix(name, "mr-report."),
			name == "mr.sock", name == "gate":
		default:
			left = append(left, name)
		}
	}
	return left
}
