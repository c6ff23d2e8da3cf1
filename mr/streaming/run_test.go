package streaming

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
)

// hangLimit bounds how long a test waits for a command that should have
// been killed: far longer than a kill takes, far shorter than the sleeps
// of the commands killed.
const hangLimit = 30 * time.Second

// testLog sends logs to t.Log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// command parses line, failing the test if it cannot.
func command(t *testing.T, line string) Command {
	t.Helper()
	c, err := Parse(line)
	require.NoError(t, err)
	return c
}

func testApp(t *testing.T, mapper, reducer string) *App {
	return &App{Mapper: command(t, mapper), Reducer: command(t, reducer),
		Log: slog.New(slog.NewTextHandler(testLog{t}, nil))}
}

var (
	mapAttempt    = app.Attempt{ID: "map-3.2", Task: "map-3", Input: "in.txt", NReduce: 5, Partition: -1}
	reduceAttempt = app.Attempt{ID: "reduce-1.0", Task: "reduce-1", NReduce: 5, Partition: 1}
)

// runMap runs the mapper of a on contents and returns its pairs.
func runMap(ctx context.Context, a *App, contents string) ([][2]string, error) {
	var got [][2]string
	err := a.Map(ctx, mapAttempt, contents, func(k, v string) { got = append(got, [2]string{k, v}) })
	return got, err
}

// records is a slice of pairs as app.Records; err, if set, ends it
// instead of io.EOF.
type records struct {
	kvs [][2]string
	err error
}

func (r *records) Next() (string, string, error) {
	if len(r.kvs) == 0 {
		if r.err != nil {
			return "", "", r.err
		}
		return "", "", io.EOF
	}
	kv := r.kvs[0]
	r.kvs = r.kvs[1:]
	return kv[0], kv[1], nil
}

func TestMapPairsAndEnvironment(t *testing.T) {
	a := testApp(t, `sh -c 'cat; echo "$MR_TASK	$MR_ATTEMPT $MR_INPUT $MR_NREDUCE [$MR_PARTITION]"'`, "cat")
	got, err := runMap(t.Context(), a, "a\t1\nb\n")
	require.NoError(t, err)
	require.Equal(t, [][2]string{{"a", "1"}, {"b", ""}, {"map-3", "map-3.2 in.txt 5 []"}}, got)
}

func TestMapRunsInTheJobFolder(t *testing.T) {
	dir := t.TempDir()
	a := testApp(t, "pwd", "cat")
	at := mapAttempt
	at.Dir = dir
	var got []string
	require.NoError(t, a.Map(t.Context(), at, "", func(k, _ string) { got = append(got, k) }))
	want, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	require.Equal(t, []string{want}, got)
}

func TestReduceStreamsBothWays(t *testing.T) {
	// More than any pipe holds, both ways: a writer that waited for the
	// reader (or the reverse) would deadlock.
	const n = 200000
	in := &records{}
	var want strings.Builder
	for i := range n {
		k, v := fmt.Sprintf("key%07d", i), fmt.Sprint(i)
		in.kvs = append(in.kvs, [2]string{k, v})
		fmt.Fprintf(&want, "%s\t%s\n", k, v)
	}
	a := testApp(t, "cat", "cat")
	var out strings.Builder
	require.NoError(t, a.Reduce(t.Context(), reduceAttempt, in, &out))
	require.Equal(t, want.String(), out.String())
}

func TestReduceEnvironment(t *testing.T) {
	a := testApp(t, "cat", `sh -c 'echo "$MR_TASK $MR_ATTEMPT [$MR_INPUT] $MR_NREDUCE $MR_PARTITION"'`)
	var out strings.Builder
	require.NoError(t, a.Reduce(t.Context(), reduceAttempt, &records{}, &out))
	require.Equal(t, "reduce-1 reduce-1.0 [] 5 1\n", out.String())
}

func TestReducerThatStopsReading(t *testing.T) {
	in := func() *records {
		r := &records{}
		for i := range 100000 {
			r.kvs = append(r.kvs, [2]string{fmt.Sprint(i), "v"})
		}
		return r
	}
	// Status 0: what it wrote is its output.
	a := testApp(t, "cat", "head -n 1")
	var out strings.Builder
	require.NoError(t, a.Reduce(t.Context(), reduceAttempt, in(), &out))
	require.Equal(t, "0\tv\n", out.String())
	// Any other status fails the attempt.
	a = testApp(t, "cat", `sh -c 'head -n 1; echo giving up >&2; exit 4'`)
	err := a.Reduce(t.Context(), reduceAttempt, in(), io.Discard)
	require.ErrorContains(t, err, "reduce-1.0 (partition 1): reducer")
	require.ErrorContains(t, err, "exited with status 4")
	require.ErrorContains(t, err, "giving up")
}

func TestReduceInputError(t *testing.T) {
	lost := errors.New("output of map-2.0 lost")
	a := testApp(t, "cat", "cat")
	err := a.Reduce(t.Context(), reduceAttempt, &records{kvs: [][2]string{{"a", "1"}}, err: lost}, io.Discard)
	require.ErrorIs(t, err, lost)
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name, mapper string
		want         []string
	}{
		{"exit status", `sh -c 'echo one >&2; echo two >&2; exit 3'`,
			[]string{"map-3.2 (input in.txt): mapper", "exited with status 3", "one\n\ttwo"}},
		{"signal", `sh -c 'echo bye >&2; kill -9 $$'`, []string{"killed by signal 9", "bye"}},
		{"line too long", `sh -c 'head -c 100 /dev/zero | tr "\0" x'`,
			[]string{"bad output", "line 1: line too long: more than 10 bytes"}},
	}
	for _, tt := range tests {
		a := testApp(t, tt.mapper, "cat")
		a.maxLine = 10
		_, err := runMap(t.Context(), a, "")
		require.Error(t, err, tt.name)
		for _, w := range tt.want {
			require.ErrorContains(t, err, w, tt.name)
		}
	}
}

func TestStderrTailKeepsTheLast(t *testing.T) {
	a := testApp(t, `sh -c 'for i in $(seq 1 30); do echo line$i >&2; done; exit 1'`, "cat")
	_, err := runMap(t.Context(), a, "")
	require.ErrorContains(t, err, fmt.Sprintf("line%d\n\tline%d", 30-StderrTail+1, 30-StderrTail+2))
	require.ErrorContains(t, err, "line30")
	require.NotContains(t, err.Error(), fmt.Sprintf("line%d\n", 30-StderrTail))
}

func TestReporterLines(t *testing.T) {
	mr.TakeCounts()
	a := testApp(t, `sh -c '
		echo reporter:counter:Words,Seen,5 >&2
		echo reporter:counter:Words,Seen,2 >&2
		echo reporter:counter:Words,Seen >&2
		echo reporter:counter:Words,Seen,many >&2
		echo reporter:status:halfway >&2
		echo plain >&2
		exit 1'`, "cat")
	_, err := runMap(t.Context(), a, "")
	require.ErrorContains(t, err, "exited with status 1")
	require.ErrorContains(t, err, "plain")
	_, tail, _ := strings.Cut(err.Error(), "last stderr lines:")
	require.Equal(t, "\n\tplain", tail)
	require.Equal(t, map[string]int64{"Words.Seen": 7}, mr.TakeCounts())
}

// TestCancelKillsTheGroup cancels a map attempt whose command left a
// child holding its stdout: run returns only once the whole group is dead.
func TestCancelKillsTheGroup(t *testing.T) {
	a := testApp(t, `sh -c 'echo started; sleep 300 & sleep 300; wait'`, "cat")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- a.Map(ctx, mapAttempt, "", func(string, string) { cancel() })
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorContains(t, err, "map-3.2 (input in.txt): mapper")
	case <-time.After(hangLimit):
		t.Fatal("the mapper's process group outlived its cancelled attempt")
	}
}

// TestPanicInEmitKillsTheGroup: emit aborts by panicking (a failed spill);
// the command is killed and waited for before the panic goes on.
func TestPanicInEmitKillsTheGroup(t *testing.T) {
	a := testApp(t, `sh -c 'echo a; sleep 300'`, "cat")
	done := make(chan any, 1)
	go func() {
		defer func() { done <- recover() }()
		a.Map(t.Context(), mapAttempt, "", func(string, string) { panic("spill failed") })
	}()
	select {
	case v := <-done:
		require.Equal(t, "spill failed", v)
	case <-time.After(hangLimit):
		t.Fatal("the mapper outlived the panic in emit")
	}
}

// TestEscapedProcessDoesNotHangTheAttempt: the mapper leaves a process
// in a session of its own holding its stdout, out of reach of the group
// kill. The attempt fails, saying so, instead of waiting for it.
func TestEscapedProcessDoesNotHangTheAttempt(t *testing.T) {
	script := filepath.Join(t.TempDir(), "escape.sh")
	pidFile := script + ".pid"
	// The escaped process writes its pid once it is in its own session;
	// the mapper waits for that, so that its exit cannot kill it first.
	require.NoError(t, os.WriteFile(script, []byte(`#!/bin/sh
setsid sh -c 'echo $$ > "$0.pid"; exec sleep 300' "$0" &
while [ ! -s "$0.pid" ]; do sleep 0.01; done
echo a
`), 0o755))
	a := testApp(t, script, "cat")
	t.Cleanup(func() {
		if pid, err := os.ReadFile(pidFile); err == nil {
			exec.Command("kill", "-9", strings.TrimSpace(string(pid))).Run()
		}
	})
	done := make(chan error, 1)
	var got [][2]string
	go func() {
		var err error
		got, err = runMap(t.Context(), a, "")
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorContains(t, err, "map-3.2 (input in.txt): mapper")
		require.ErrorContains(t, err, "outside its process group (setsid?)")
		require.Equal(t, [][2]string{{"a", ""}}, got, "what the mapper wrote before it exited is read")
	case <-time.After(hangLimit):
		t.Fatal("a process outside the mapper's group hung the attempt")
	}
}

// TestRunClosesItsPipes: every attempt closes the engine's ends of the
// command's pipes.
func TestRunClosesItsPipes(t *testing.T) {
	a := testApp(t, "cat", "cat")
	openFiles := func() int {
		fds, err := os.ReadDir("/proc/self/fd")
		require.NoError(t, err)
		return len(fds)
	}
	_, err := runMap(t.Context(), a, "warm up\n")
	require.NoError(t, err)
	before := openFiles()
	for range 20 {
		_, err := runMap(t.Context(), a, "k\tv\n")
		require.NoError(t, err)
	}
	require.LessOrEqual(t, openFiles(), before, "descriptors leaked by 20 attempts")
}

func TestParse(t *testing.T) {
	_, err := Parse("no-such-command-here --flag")
	require.ErrorContains(t, err, `"no-such-command-here --flag"`)

	dir := t.TempDir()
	script := filepath.Join(dir, "m.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\ncat\n"), 0o644))
	_, err = Parse(script)
	require.ErrorContains(t, err, script)
	require.NoError(t, os.Chmod(script, 0o755))
	c, err := Parse(script + " 'x y'")
	require.NoError(t, err)
	require.Equal(t, []string{script, "x y"}, c.Args)
	require.Equal(t, script, c.Path)
	_, err = Parse(dir)
	require.Error(t, err)
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "m.sh")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\ncat\n"), 0o755))
	r := command(t, "cat")
	fp := func(line string) string {
		m := command(t, line)
		id, err := Fingerprint(&m, &r, nil)
		require.NoError(t, err)
		return id
	}
	first := fp(script)
	require.Equal(t, first, fp(script))
	require.NotEqual(t, first, fp(script+" x"), "the command line counts")
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\ncat # changed\n"), 0o755))
	require.NotEqual(t, first, fp(script), "the program's content counts")
	m := command(t, "cat")
	swapped, err := Fingerprint(&r, &m, nil)
	require.NoError(t, err)
	combined, err := Fingerprint(&r, &m, &m)
	require.NoError(t, err)
	require.NotEqual(t, swapped, combined, "the combiner counts")
}

// TestExitKillsWhatIsLeft: a command that exits leaving a child behind
// (its pipes closed) does not leave it running.
func TestExitKillsWhatIsLeft(t *testing.T) {
	a := testApp(t, `sh -c 'sleep 300 >/dev/null 2>&1 </dev/null & echo $!'`, "cat")
	got, err := runMap(t.Context(), a, "")
	require.NoError(t, err)
	require.Len(t, got, 1)
	stat := filepath.Join("/proc", got[0][0], "stat")
	deadline := time.Now().Add(hangLimit)
	for alive(stat) {
		if time.Now().After(deadline) {
			t.Fatalf("the mapper's child %s outlived it", got[0][0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether the process whose /proc stat file is at path is
// running (neither gone nor a zombie).
func alive(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z")
}

func TestCombine(t *testing.T) {
	a := testApp(t, "cat", "cat")
	c := command(t, `awk -F '\t' '$1 != k { if (NR > 1) print k "\t" n; k = $1; n = 0 } { n += $2 } END { if (NR) print k "\t" n }'`)
	a.Combiner = &c
	in := &records{kvs: [][2]string{{"a", "1"}, {"a", "1"}, {"b", "1"}}}
	var got [][2]string
	require.NoError(t, a.App().CombineTask(t.Context(), mapAttempt, in, func(k, v string) { got = append(got, [2]string{k, v}) }))
	require.Equal(t, [][2]string{{"a", "2"}, {"b", "1"}}, got)
}

// TestStatusLinesReachTheAttempt: reporter:status lines are handed to the
// attempt's SetStatus, in order, and kept out of the failure message.
func TestStatusLinesReachTheAttempt(t *testing.T) {
	a := testApp(t, `sh -c 'echo reporter:status:starting >&2; echo reporter:status:halfway >&2; cat'`, "cat")
	var got []string
	at := mapAttempt
	var mu sync.Mutex
	at.SetStatus = func(m string) { mu.Lock(); got = append(got, m); mu.Unlock() }
	err := a.Map(t.Context(), at, "k\tv\n", func(string, string) {})
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"starting", "halfway"}, got)
}
