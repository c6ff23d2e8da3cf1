package coordinator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/app/apptest"
	"6.5840/mr/coordinator"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
	"6.5840/mr/sequential"
	"6.5840/mr/status"
	"6.5840/mr/worker"
)

// wordCount is the wc application as function values.
var wordCount = app.App{
	Map: func(_ string, contents string) []mr.KeyValue {
		var kvs []mr.KeyValue
		for _, w := range strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) }) {
			kvs = append(kvs, mr.KeyValue{Key: w, Value: "1"})
		}
		return kvs
	},
	Reduce: func(_ string, values []string) string { return strconv.Itoa(len(values)) },
}

// testLogWriter sends log lines to t.Log.
type testLogWriter struct{ t testing.TB }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// cluster is a coordinator and workers in one process, talking net/rpc
// over net.Pipe, with their files in a temp dir. Run it inside a synctest
// bubble so that leases and polls take no real time.
type cluster struct {
	t      *testing.T
	dir    string
	inputs []string
	cfg    coordinator.Config
	// coord is the coordinator that new connections reach; restart
	// replaces it.
	coord atomic.Pointer[coordinator.Coordinator]
}

// newCluster writes inputs (name -> contents) into a temp dir and starts a
// coordinator for them with nReduce reduce tasks and the default config,
// changed by the options.
func newCluster(t *testing.T, inputs map[string]string, nReduce int, options ...func(*coordinator.Config)) *cluster {
	cfg := coordinator.DefaultConfig()
	cfg.NReduce = nReduce
	for _, o := range options {
		o(&cfg)
	}
	dir := t.TempDir()
	names := slices.Sorted(func(yield func(string) bool) {
		for name := range inputs {
			if !yield(name) {
				return
			}
		}
	})
	for _, name := range names {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(inputs[name]), 0o644))
		cfg.Inputs = append(cfg.Inputs, path)
	}
	cfg.Dir = dir
	cfg.Logger = testLogger(t).With("side", "coordinator")
	cl := &cluster{t: t, dir: dir, inputs: cfg.Inputs, cfg: cfg}
	cl.restart()
	return cl
}

// restart starts a new coordinator with the same config, as if the old one
// had been killed and started again with the same command. The old one is
// stopped and no longer reachable.
func (cl *cluster) restart() *coordinator.Coordinator {
	if old := cl.coord.Load(); old != nil {
		old.Close()
	}
	c, err := coordinator.New(cl.cfg)
	require.NoError(cl.t, err)
	cl.t.Cleanup(c.Close)
	cl.coord.Store(c)
	return c
}

func (cl *cluster) c() *coordinator.Coordinator { return cl.coord.Load() }

// link is a worker's network: it can be cut, which breaks every open
// connection and refuses new ones, and healed.
type link struct {
	mu    sync.Mutex // guards cut and conns
	cut   bool
	conns []net.Conn
	// wrap, if set, wraps each new connection on the worker's side.
	wrap func(net.Conn) net.Conn
}

func (l *link) setCut(cut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = cut
	if cut {
		for _, c := range l.conns {
			c.Close()
		}
		l.conns = nil
	}
}

// startWorker runs a worker with a on the cluster, changed by the options;
// the returned channel yields Run's result.
func (cl *cluster) startWorker(a app.App, net_ *link, options ...func(*worker.Config)) <-chan error {
	if net_ == nil {
		net_ = &link{}
	}
	cfg := worker.DefaultConfig()
	cfg.App, cfg.Dir, cfg.Logger = a, cl.dir, testLogger(cl.t).With("side", "worker")
	cfg.Dial = func() (net.Conn, error) {
		net_.mu.Lock()
		defer net_.mu.Unlock()
		if net_.cut {
			return nil, errors.New("network cut")
		}
		client, server := net.Pipe()
		net_.conns = append(net_.conns, client)
		go cl.c().ServeConn(server)
		if net_.wrap != nil {
			return net_.wrap(client), nil
		}
		return client, nil
	}
	for _, o := range options {
		o(&cfg)
	}
	w, err := worker.New(cfg)
	require.NoError(cl.t, err)
	done := make(chan error, 1)
	go func() { done <- w.Run(context.Background()) }()
	return done
}

// output returns the sorted lines of all mr-out-* files.
func (cl *cluster) output() []string {
	files, err := filepath.Glob(filepath.Join(cl.dir, jobfiles.OutputPrefix+"*"))
	require.NoError(cl.t, err)
	var lines []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(cl.t, err)
		lines = append(lines, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	slices.Sort(lines)
	return slices.DeleteFunc(lines, func(s string) bool { return s == "" })
}

// want returns the sorted lines of the sequential run of a.
func (cl *cluster) want(a app.App) []string {
	out := filepath.Join(cl.t.TempDir(), "want")
	require.NoError(cl.t, sequential.Run(a, cl.inputs, out))
	data, err := os.ReadFile(out)
	require.NoError(cl.t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	slices.Sort(lines)
	return lines
}

var texts = map[string]string{
	"one.txt":   "the quick brown fox jumps over the lazy dog",
	"two.txt":   "The dog barks; the fox runs. Quick, quick!",
	"three.txt": "a b c a b a",
	"four.txt":  "",
}

func TestClusterMatchesSequential(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 3)
		var results []<-chan error
		for range 3 {
			results = append(results, cl.startWorker(wordCount, nil))
		}
		for _, r := range results {
			require.NoError(t, <-r)
		}
		<-cl.c().Done()
		require.NoError(t, cl.c().Err())
		require.Equal(t, cl.want(wordCount), cl.output())
	})
}

func TestMapEmitMatchesMap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 3)
		emitting := wordCount
		emitting.Map = func(string, string) []mr.KeyValue { panic("Map called beside MapEmit") }
		emitting.MapEmit = func(name, contents string, emit func(key, value string)) {
			for _, kv := range wordCount.Map(name, contents) {
				emit(kv.Key, kv.Value)
			}
		}
		emitting.Combine = apptest.Sum
		emitting.Reduce = apptest.Sum
		var results []<-chan error
		for range 2 {
			results = append(results, cl.startWorker(emitting, nil))
		}
		for _, r := range results {
			require.NoError(t, <-r)
		}
		require.NoError(t, cl.c().Err())
		require.Equal(t, cl.want(wordCount), cl.output())
	})
}

func TestWorkerPartitionedMidTaskIsReplaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, map[string]string{"only.txt": "x y z x"}, 2)
		release := make(chan struct{})
		var calls atomic.Int32
		stuck := wordCount
		stuck.Map = func(name, contents string) []mr.KeyValue {
			if calls.Add(1) == 1 {
				<-release // the first call hangs, like a worker that froze
			}
			return wordCount.Map(name, contents)
		}
		lost := &link{}
		lostDone := cl.startWorker(stuck, lost)
		synctest.Wait() // the first worker holds map-0 attempt 1
		lost.setCut(true)

		start := time.Now()
		healthy := cl.startWorker(stuck, nil)
		<-cl.c().Done()
		require.NoError(t, cl.c().Err())
		require.Less(t, time.Since(start), 2*coordinator.DefaultLease+time.Second,
			"the lost attempt's task must move on after about a lease")
		require.Equal(t, cl.want(wordCount), cl.output())
		require.NoError(t, <-healthy)

		// The lost worker comes back: its heartbeat learns that the attempt
		// was revoked, and it writes nothing when Map returns.
		lost.setCut(false)
		time.Sleep(time.Second)
		close(release)
		<-lostDone
		requireNoOutput(t, cl, 0, 1, "the revoked attempt wrote its output")
		require.Equal(t, cl.want(wordCount), cl.output())
	})
}

func TestPanicIsAFailedAttemptThenRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2)
		var panicked atomic.Bool
		flaky := wordCount
		flaky.Map = func(name, contents string) []mr.KeyValue {
			if strings.HasSuffix(name, "two.txt") && panicked.CompareAndSwap(false, true) {
				panic("flaky record")
			}
			return wordCount.Map(name, contents)
		}
		require.NoError(t, <-cl.startWorker(flaky, nil))
		require.True(t, panicked.Load())
		require.Equal(t, cl.want(wordCount), cl.output())
	})
}

func TestPoisonInputFailsTheJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2, func(c *coordinator.Config) { c.MaxFailures = 2 })
		poisoned := wordCount
		poisoned.Map = func(name, contents string) []mr.KeyValue {
			if strings.HasSuffix(name, "three.txt") {
				panic(fmt.Sprintf("cannot parse %s", name))
			}
			return wordCount.Map(name, contents)
		}
		a, b := cl.startWorker(poisoned, nil), cl.startWorker(poisoned, nil)
		require.ErrorIs(t, <-a, worker.ErrJobFailed)
		require.ErrorIs(t, <-b, worker.ErrJobFailed)
		err := cl.c().Err()
		require.ErrorContains(t, err, "three.txt")
		require.ErrorContains(t, err, "failed 3 times")
		require.ErrorContains(t, err, "Map panicked: cannot parse")
	})
}

func TestMissingInputIsRefused(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.txt")
	cfg := coordinator.DefaultConfig()
	cfg.Inputs = []string{missing}
	_, err := coordinator.New(cfg)
	require.ErrorContains(t, err, missing)
	cfg.Inputs = nil
	_, err = coordinator.New(cfg)
	require.ErrorContains(t, err, "no input files")
	cfg.Inputs, cfg.NReduce = []string{missing}, 0
	_, err = coordinator.New(cfg)
	require.ErrorContains(t, err, "-nreduce must be at least 1, got 0", "an explicit 0 is the user's value, not the default")
}

// mapCounter counts Map calls per input file.
type mapCounter struct {
	mu    sync.Mutex // guards calls
	calls map[string]int
}

func (m *mapCounter) wrap(a app.App) app.App {
	inner := a.Map
	a.Map = func(name, contents string) []mr.KeyValue {
		m.mu.Lock()
		if m.calls == nil {
			m.calls = map[string]int{}
		}
		m.calls[filepath.Base(name)]++
		m.mu.Unlock()
		return inner(name, contents)
	}
	return a
}

func (m *mapCounter) count(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[name]
}

func TestRestartedCoordinatorRunsOnlyUnfinishedTasks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2)
		counter := &mapCounter{}
		release := make(chan struct{})
		blocking := counter.wrap(wordCount)
		inner := blocking.Map
		blocking.Map = func(name, contents string) []mr.KeyValue {
			if strings.HasSuffix(name, "two.txt") {
				<-release // the job is mid-way when the coordinator dies
			}
			return inner(name, contents)
		}
		net1 := &link{}
		first := cl.startWorker(blocking, net1)
		synctest.Wait()
		require.Equal(t, 3, cl.c().Progress().MapsDone)

		// Kill the coordinator (and the stuck worker's connections), then
		// start it again with the same command.
		net1.setCut(true)
		restarted := cl.restart()
		require.Equal(t, 3, restarted.Progress().MapsDone, "the journal must restore the committed maps")

		second := cl.startWorker(counter.wrap(wordCount), nil)
		require.NoError(t, <-second)
		require.NoError(t, restarted.Finish())
		for _, name := range []string{"one.txt", "three.txt", "four.txt"} {
			require.Equal(t, 1, counter.count(name), "%s mapped again after the restart", name)
		}
		require.Equal(t, 1, counter.count("two.txt"), "two.txt mapped by the new worker only")
		// The stuck worker, cut off, loses its lease before Map returns:
		// it abandons the attempt and deletes what it wrote.
		time.Sleep(coordinator.DefaultLease + time.Second)
		close(release)
		<-first
		require.Equal(t, cl.want(wordCount), cl.output())

		// Only the outputs remain: no journal, no intermediate files.
		entries, err := os.ReadDir(cl.dir)
		require.NoError(t, err)
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, jobfiles.OutputPrefix) && !strings.HasSuffix(name, ".txt") {
				t.Errorf("%s left behind after the job", name)
			}
		}
	})
}

func TestJournalOfAnotherJobIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2)
		cl.c().Close()
		other := cl.cfg
		other.NReduce = 3
		_, err := coordinator.New(other)
		require.ErrorContains(t, err, "another job")
		require.ErrorContains(t, err, jobfiles.Journal)
	})
}

func TestSkipBadInputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2, func(c *coordinator.Config) { c.MaxFailures = 1; c.SkipBadInputs = true })
		poisoned := wordCount
		poisoned.Map = func(name, contents string) []mr.KeyValue {
			if strings.HasSuffix(name, "two.txt") {
				panic("unparsable")
			}
			return wordCount.Map(name, contents)
		}
		require.NoError(t, <-cl.startWorker(poisoned, nil))
		require.NoError(t, cl.c().Finish())
		require.Equal(t, []string{filepath.Join(cl.dir, "two.txt")}, cl.c().Skipped())

		var rest []string
		for _, in := range cl.inputs {
			if !strings.HasSuffix(in, "two.txt") {
				rest = append(rest, in)
			}
		}
		cl.inputs = rest
		require.Equal(t, cl.want(wordCount), cl.output())
	})
}

func TestSplitInputsMatchSequential(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lines := map[string]string{
			"long.txt":  strings.Repeat("the quick brown fox\njumps over\nthe lazy dog\n", 20),
			"short.txt": "one line only",
		}
		cl := newCluster(t, lines, 2, func(c *coordinator.Config) { c.SplitSize = 50 })
		require.Equal(t, 1+(len(lines["long.txt"])+49)/50, cl.c().Progress().Maps, "long.txt in 50-byte splits, short.txt whole")
		require.NoError(t, <-cl.startWorker(wordCount, nil))
		require.Equal(t, cl.want(wordCount), cl.output())
	})
}

func TestSnapshotAndStatusPageAfterJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 3)
		counting := wordCount
		counting.Map = func(name, contents string) []mr.KeyValue {
			mr.Count("documents", 1)
			return wordCount.Map(name, contents)
		}
		require.NoError(t, <-cl.startWorker(counting, nil))
		s := cl.c().Snapshot()

		require.Equal(t, status.JobDone, s.Job.State)
		require.Equal(t, status.Phase{Done: len(texts), Total: len(texts)}, s.Maps)
		require.Equal(t, status.Phase{Done: 3, Total: 3}, s.Reduces)
		require.Len(t, s.Tasks, len(texts)+3)
		for _, task := range s.Tasks {
			require.Equal(t, status.TaskDone, task.State, task.ID)
			require.Equal(t, 1, task.Attempts, task.ID)
		}
		require.Len(t, s.Attempts, len(texts)+3)
		require.Len(t, s.Workers, 1)
		require.Equal(t, len(texts)+3, s.Workers[0].TasksDone)
		require.Equal(t, status.WorkerExited, s.Workers[0].State)

		var inputBytes int64
		for _, c := range texts {
			inputBytes += int64(len(c))
		}
		require.Equal(t, int64(len(texts)), s.Counters["documents"])
		require.Equal(t, inputBytes, s.Counters[protocol.CounterMapInputBytes])
		require.Equal(t, int64(len(cl.output())), s.Counters[protocol.CounterReduceOutputRecords])

		// The page and the JSON serve the same state.
		srv := httptest.NewServer(status.NewHandler(cl.c().Snapshot, nil))
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/status.json")
		require.NoError(t, err)
		defer resp.Body.Close()
		var got status.Snapshot
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
		require.Equal(t, s.Maps, got.Maps)
		require.Equal(t, s.Counters, got.Counters)
		require.Len(t, got.Attempts, len(s.Attempts))
	})
}

// TestAttemptStatusReachesTheSnapshot: a status message the application
// reports during an attempt (a streaming command's reporter:status line)
// travels with the heartbeats and shows beside the running attempt.
func TestAttemptStatusReachesTheSnapshot(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, map[string]string{"only.txt": "x y z x"}, 1)
		release := make(chan struct{})
		reporting := wordCount
		reporting.Map = nil
		reporting.MapTask = func(_ context.Context, at app.Attempt, contents string, emit func(k, v string)) error {
			at.SetStatus("halfway <there>")
			<-release
			for _, kv := range wordCount.Map(at.Input, contents) {
				emit(kv.Key, kv.Value)
			}
			return nil
		}
		done := cl.startWorker(reporting, nil)
		time.Sleep(3 * coordinator.DefaultHeartbeatInterval)
		var got []string
		for _, a := range cl.c().Snapshot().Attempts {
			got = append(got, a.ID+": "+a.Status)
		}
		require.Equal(t, []string{"map-0.1: halfway <there>"}, got)
		close(release)
		<-cl.c().Done()
		require.NoError(t, cl.c().Err())
		require.NoError(t, <-done)
	})
}
