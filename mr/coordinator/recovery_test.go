package coordinator_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/coordinator"
	"6.5840/mr/flock"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/status"
	"6.5840/mr/task"
	"6.5840/mr/worker"
)

// outcomes counts the attempts of a snapshot by outcome.
func outcomes(s status.Snapshot) map[string]int {
	n := map[string]int{}
	for _, a := range s.Attempts {
		n[a.Outcome]++
	}
	return n
}

// losing wraps wc so that, at its n-th Map call, it damages the output of
// the committed map-1.1 (one.txt) with damage, then calls then. One worker
// runs the maps in order, so map-1 has committed by the third call.
func losing(counter *mapCounter, n int64, damage func(), then func()) app.App {
	a := counter.wrap(wordCount)
	inner := a.Map
	var calls atomic.Int64
	a.Map = func(name, contents string) []mr.KeyValue {
		if calls.Add(1) == n {
			damage()
			then()
		}
		return inner(name, contents)
	}
	return a
}

// requireNoOutput fails the test if attempt a of map task m left an output
// in cl's folder: a file of its own, or the segment file it would have
// started as its worker's first map output.
func requireNoOutput(t *testing.T, cl *cluster, m, a int, msg string) {
	t.Helper()
	require.NoFileExists(t, filepath.Join(cl.dir, jobfiles.Intermediate(m, a)), msg)
	require.NoFileExists(t, filepath.Join(cl.dir, jobfiles.Segment(m, a)), msg)
}

// committedExtent returns where the committed output of map task m is in
// its segment file, as cl's journal says.
func committedExtent(t *testing.T, cl *cluster, m int) (string, jobfiles.Extent) {
	t.Helper()
	state, err := journal.Read(filepath.Join(cl.dir, jobfiles.Journal), journal.Shape{Maps: len(cl.inputs), Reduces: 3})
	require.NoError(t, err)
	for _, c := range state.Commits {
		if c.Attempt.Task.Kind == task.Map && c.Attempt.Task.Index == m {
			require.True(t, c.Extent.InSegment(), "map %d's output is not in a segment file", m)
			return filepath.Join(cl.dir, c.Extent.Name(c.Attempt)), c.Extent
		}
	}
	t.Fatalf("map %d has no commit in the journal", m)
	return "", jobfiles.Extent{}
}

// flipBytes flips bytes of the file at path from offset on, up to length.
func flipBytes(t *testing.T, path string, offset, length int64) {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	for i := offset + 8; i < offset+length/2; i += 3 {
		data[i] ^= 0x55
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

func TestLostMapOutputIsRerunInTheReducePhase(t *testing.T) {
	ownFile := func(c *worker.Config) { c.SegmentMax = 0 }
	inSegment := func(c *worker.Config) { c.SegmentMax = worker.DefaultSegmentMax }
	cases := []struct {
		name   string
		layout func(*worker.Config)
		damage func(t *testing.T, cl *cluster)
		// rerun are the inputs whose maps must run again.
		rerun []string
	}{
		{"own file missing", ownFile, func(t *testing.T, cl *cluster) {
			require.NoError(t, os.Remove(filepath.Join(cl.dir, jobfiles.Intermediate(1, 1))))
		}, []string{"one.txt"}},
		{"own file with bytes flipped", ownFile, func(t *testing.T, cl *cluster) {
			path := filepath.Join(cl.dir, jobfiles.Intermediate(1, 1))
			info, err := os.Stat(path)
			require.NoError(t, err)
			flipBytes(t, path, 0, info.Size())
		}, []string{"one.txt"}},
		// In a segment file, only the maps whose bytes were damaged or
		// cut off run again.
		{"bytes flipped in a segment", inSegment, func(t *testing.T, cl *cluster) {
			path, e := committedExtent(t, cl, 1)
			flipBytes(t, path, e.Offset, e.Length)
		}, []string{"one.txt"}},
		{"segment cut short", inSegment, func(t *testing.T, cl *cluster) {
			path, e := committedExtent(t, cl, 1)
			require.NoError(t, os.Truncate(path, e.Offset+e.Length/2))
		}, []string{"one.txt", "three.txt"}},
	}
	for _, tc := range cases {
		for _, workers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/%d workers", tc.name, workers), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					// No failure of a reduce attempt is allowed: reading a
					// lost output must not count as one.
					cl := newCluster(t, texts, 3, func(c *coordinator.Config) { c.MaxFailures = 1 })
					counter := &mapCounter{}
					// The other workers join as the last map runs, to find
					// the lost output in the reduce phase with the first.
					joined := make(chan (<-chan error), workers)
					var a app.App
					a = losing(counter, int64(len(texts)), func() { tc.damage(t, cl) }, func() {
						for range workers - 1 {
							joined <- cl.startWorker(a, nil, tc.layout)
						}
					})
					require.NoError(t, <-cl.startWorker(a, nil, tc.layout))
					for range workers - 1 {
						require.NoError(t, <-<-joined)
					}
					require.NoError(t, cl.c().Err())
					require.Equal(t, cl.want(wordCount), cl.output())
					for name := range texts {
						want := 1
						if slices.Contains(tc.rerun, name) {
							want = 2
						}
						require.Equal(t, want, counter.count(name), "runs of the map of %s", name)
					}
					s := cl.c().Snapshot()
					got := outcomes(s)
					require.Equal(t, len(tc.rerun), got[status.OutcomeLost], "outputs lost")
					require.Zero(t, got[status.OutcomeFailed], "nothing failed")
					require.NoError(t, cl.c().Finish())
				})
			})
		}
	}
}

// replyCutter cuts a worker's connection when it brings the answer to the
// first Report whose commit a test waits for, after calling before.
type replyCutter struct {
	before func()
	mu     sync.Mutex // guards done
	done   bool
}

func (r *replyCutter) wrap(c net.Conn) net.Conn { return &cutConn{Conn: c, cutter: r} }

type cutConn struct {
	net.Conn
	cutter    *replyCutter
	reporting atomic.Bool
}

func (c *cutConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("Coordinator.Report")) {
		c.reporting.Store(true)
	}
	return c.Conn.Write(p)
}

func (c *cutConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if !c.reporting.Load() {
		return n, err
	}
	c.cutter.mu.Lock()
	defer c.cutter.mu.Unlock()
	if c.cutter.done {
		return n, err
	}
	// The coordinator has committed and is answering: it dies before the
	// answer arrives.
	c.cutter.done = true
	c.cutter.before()
	c.Conn.Close()
	return 0, net.ErrClosed
}

func TestCommitWhoseAnswerIsLostKeepsItsOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2)
		counter := &mapCounter{}
		cutter := &replyCutter{before: func() { cl.restart() }}
		w := cl.startWorker(counter.wrap(wordCount), &link{wrap: cutter.wrap})
		require.NoError(t, <-w)
		require.NoError(t, cl.c().Err())
		require.True(t, cutter.done)
		for name := range texts {
			require.Equal(t, 1, counter.count(name), "%s mapped again: its committed output was deleted", name)
		}
		require.Equal(t, cl.want(wordCount), cl.output())
		require.NoError(t, cl.c().Finish())
		entries, err := os.ReadDir(cl.dir)
		require.NoError(t, err)
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), jobfiles.OutputPrefix) && !strings.HasSuffix(e.Name(), ".txt") {
				t.Errorf("%s left behind after the job", e.Name())
			}
		}
	})
}

// oneSlowMap is a job of one input whose attempts last 3 s, and word count
// whose first Map call waits until release is closed.
func oneSlowMap(t *testing.T, release <-chan struct{}) (*cluster, app.App) {
	cl := newCluster(t, map[string]string{"only.txt": "a b a"}, 1,
		func(c *coordinator.Config) { c.TaskTimeout = 3 * time.Second })
	var calls atomic.Int32
	slow := wordCount
	slow.Map = func(name, contents string) []mr.KeyValue {
		if calls.Add(1) == 1 {
			<-release
		}
		return wordCount.Map(name, contents)
	}
	return cl, slow
}

func TestStuckMapMakesItsWorkerExit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{}) // not closed while the test looks
		cl, stuck := oneSlowMap(t, release)
		first := cl.startWorker(stuck, nil)
		synctest.Wait()
		start := time.Now()
		second := cl.startWorker(stuck, nil)
		err := <-first
		require.ErrorIs(t, err, worker.ErrAttemptStuck)
		require.ErrorContains(t, err, "map-0.1")
		require.Less(t, time.Since(start), 3*time.Second+worker.DefaultStuckGrace+time.Second)
		require.NoError(t, <-second)
		require.Equal(t, cl.want(wordCount), cl.output())
		// Let the stuck Map return, and its attempt end, before the
		// folder is removed.
		close(release)
		synctest.Wait()
		requireNoOutput(t, cl, 0, 1, "the stuck attempt left its output behind")
	})
}

func TestSlowMapWithinALongerStuckGraceKeepsItsWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		cl, slow := oneSlowMap(t, release)
		longGrace := func(c *worker.Config) { c.StuckGrace = 10 * worker.DefaultStuckGrace }
		first := cl.startWorker(slow, nil, longGrace)
		synctest.Wait()
		second := cl.startWorker(slow, nil)
		require.NoError(t, <-second)
		require.Equal(t, cl.want(wordCount), cl.output())
		// Well past the default grace, the first worker still waits for
		// its revoked attempt's Map instead of giving up on it.
		time.Sleep(2 * worker.DefaultStuckGrace)
		synctest.Wait()
		select {
		case err := <-first:
			t.Fatalf("the worker gave up within its StuckGrace: %v", err)
		default:
		}
		close(release)
		require.NotErrorIs(t, <-first, worker.ErrAttemptStuck)
		requireNoOutput(t, cl, 0, 1, "the revoked attempt left its output behind")
	})
}

func TestWorkerOfAnotherApplicationIsRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2)
		release := make(chan struct{})
		holding := wordCount
		holding.Map = func(name, contents string) []mr.KeyValue {
			<-release
			return wordCount.Map(name, contents)
		}
		appID := func(id string) func(*worker.Config) { return func(c *worker.Config) { c.AppID = id } }
		net1 := &link{}
		first := cl.startWorker(holding, net1, appID("aaaa1111"))
		synctest.Wait()
		err := <-cl.startWorker(wordCount, nil, appID("bbbb2222"))
		require.ErrorIs(t, err, worker.ErrWorkerRefused)
		require.ErrorContains(t, err, "another application")
		streaming := <-cl.startWorker(wordCount, nil, appID("streaming:cccc3333"))
		require.ErrorContains(t, streaming, "yours is streaming, sha256 cccc3333", "the refusal names the kind of application")

		// The journal remembers the application across a restart.
		net1.setCut(true)
		cl.restart()
		err = <-cl.startWorker(wordCount, nil, appID("bbbb2222"))
		require.ErrorIs(t, err, worker.ErrWorkerRefused)
		require.NoError(t, <-cl.startWorker(wordCount, nil, appID("aaaa1111")))
		require.Equal(t, cl.want(wordCount), cl.output())
		time.Sleep(coordinator.DefaultLease + time.Second)
		close(release)
		<-first
	})
}

func TestInputsThatAreNotRegularFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	cfg := coordinator.DefaultConfig()
	cfg.Inputs, cfg.Dir = []string{fifo, dir, "/dev/null"}, dir
	_, err := coordinator.New(cfg)
	require.ErrorContains(t, err, "input "+fifo+" is a named pipe, not a regular file")
	require.ErrorContains(t, err, "input "+dir+" is a directory, not a regular file")
	require.ErrorContains(t, err, "input /dev/null is a character device, not a regular file")
}

func TestStaleOutputsAreRefused(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(in, []byte("x"), 0o644))
	for _, name := range []string{"mr-out-1", "mr-out-12"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	cfg := coordinator.DefaultConfig()
	cfg.Inputs, cfg.Dir = []string{in}, dir
	_, err := coordinator.New(cfg)
	require.ErrorContains(t, err, "mr-out-12")
	require.NotContains(t, err.Error(), "mr-out-1,")
	cfg.NReduce = 13
	_, err = coordinator.New(cfg)
	require.NoError(t, err)
}

// reduceCounter counts Reduce calls (one per key) per reduce task (of
// nReduce).
type reduceCounter struct {
	nReduce int
	mu      sync.Mutex // guards calls
	calls   map[int]int
}

func (r *reduceCounter) wrap(a app.App) app.App {
	inner := a.Reduce
	a.Reduce = func(key string, values []string) string {
		r.mu.Lock()
		if r.calls == nil {
			r.calls = map[int]int{}
		}
		r.calls[mr.Hash(key)%r.nReduce]++
		r.mu.Unlock()
		return inner(key, values)
	}
	return a
}

func (r *reduceCounter) count(reduce int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[reduce]
}

func TestFailedJobKeepsCommittedWorkAndResumes(t *testing.T) {
	for _, tc := range []struct {
		keep       bool
		segmentMax int64
	}{{false, worker.DefaultSegmentMax}, {true, worker.DefaultSegmentMax}, {false, 0}} {
		keep, layout := tc.keep, func(c *worker.Config) { c.SegmentMax = tc.segmentMax }
		t.Run(fmt.Sprintf("keep=%v/segment-max=%d", keep, tc.segmentMax), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cl := newCluster(t, texts, 3, func(c *coordinator.Config) { c.MaxFailures = 0; c.KeepScratch = keep })
				// An earlier job's outputs, and a file that looks like a map
				// output but is no attempt of this job's.
				for r := range 3 {
					require.NoError(t, os.WriteFile(filepath.Join(cl.dir, jobfiles.Output(r)), []byte("old\n"), 0o644))
				}
				foreign := filepath.Join(cl.dir, jobfiles.Intermediate(9, 1))
				require.NoError(t, os.WriteFile(foreign, nil, 0o644))

				maps, reduces := &mapCounter{}, &reduceCounter{nReduce: 3}
				poisoned := reduces.wrap(maps.wrap(wordCount))
				good := poisoned.Reduce
				poisoned.Reduce = func(key string, values []string) string {
					if mr.Hash(key)%3 == 1 {
						panic("poison key " + key)
					}
					return good(key, values)
				}
				require.ErrorIs(t, <-cl.startWorker(poisoned, nil, layout), worker.ErrJobFailed)
				err := cl.c().Finish()
				require.ErrorContains(t, err, "reduce-1 failed 1 times")
				require.ErrorContains(t, err, "run the same command again to resume")
				require.ErrorContains(t, err, "-skip-bad-inputs")

				// Reduce 0 committed: its output is moved aside, not removed,
				// and not left looking like part of an answer.
				_, err = os.Stat(filepath.Join(cl.dir, jobfiles.Journal))
				require.NoError(t, err, "a failed job keeps its journal")
				_, err = os.Stat(filepath.Join(cl.dir, jobfiles.Output(0)))
				require.True(t, os.IsNotExist(err), "the committed output must not be published after a failure: %v", err)
				old, err := os.ReadFile(filepath.Join(cl.dir, jobfiles.Output(1)))
				require.NoError(t, err)
				require.Equal(t, "old\n", string(old), "an output this job did not write must stay")
				_, err = os.Stat(foreign)
				require.NoError(t, err, "a file of no attempt of this job must stay")
				state, err := journal.Read(filepath.Join(cl.dir, jobfiles.Journal), journal.Shape{Maps: len(texts), Reduces: 3})
				require.NoError(t, err)
				committedMaps := 0
				for _, c := range state.Commits {
					if c.Attempt.Task.Kind == task.Map {
						committedMaps++
						_, err = os.Stat(filepath.Join(cl.dir, c.Extent.Name(c.Attempt)))
						require.NoError(t, err, "the output of a committed map must survive a failure")
					}
				}
				require.Equal(t, len(texts), committedMaps, "every map committed")
				reduced := reduces.count(0)
				require.Positive(t, reduced)

				// The same command again, with a fixed application: only
				// reduces 1 and 2 run.
				cl.restart()
				require.NoError(t, <-cl.startWorker(reduces.wrap(maps.wrap(wordCount)), nil, layout))
				require.NoError(t, cl.c().Finish())
				for name := range texts {
					require.Equal(t, 1, maps.count(name), "%s mapped again after the resume", name)
				}
				require.Equal(t, reduced, reduces.count(0), "the committed reduce ran again")
				require.NoError(t, os.Remove(foreign))
				require.Equal(t, cl.want(wordCount), cl.output())
				_, err = os.Stat(filepath.Join(cl.dir, jobfiles.Journal))
				require.True(t, os.IsNotExist(err), "a job done removes its journal: %v", err)
			})
		})
	}
}

func TestResumeWithSkipBadInputsRunsNoCommittedMap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2, func(c *coordinator.Config) { c.MaxFailures = 1 })
		maps := &mapCounter{}
		poisoned := maps.wrap(wordCount)
		inner := poisoned.Map
		poisoned.Map = func(name, contents string) []mr.KeyValue {
			if strings.HasSuffix(name, "two.txt") {
				panic("unparsable")
			}
			return inner(name, contents)
		}
		require.ErrorIs(t, <-cl.startWorker(poisoned, nil), worker.ErrJobFailed)
		require.ErrorContains(t, cl.c().Finish(), "two.txt")

		cl.cfg.SkipBadInputs = true
		cl.restart()
		require.NoError(t, <-cl.startWorker(poisoned, nil))
		require.NoError(t, cl.c().Finish())
		for _, name := range []string{"one.txt", "three.txt", "four.txt"} {
			require.Equal(t, 1, maps.count(name), "%s mapped again after the resume", name)
		}
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

func TestResumeRerunsAReduceWhoseOutputIsDamaged(t *testing.T) {
	for name, damage := range map[string]func(path string) error{
		"missing":   os.Remove,
		"truncated": func(path string) error { return os.Truncate(path, 1) },
		"changed": func(path string) error {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			data[0] ^= 1
			return os.WriteFile(path, data, 0o644)
		},
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cl := newCluster(t, texts, 2)
				maps, reduces := &mapCounter{}, &reduceCounter{nReduce: 2}
				release := make(chan struct{})
				a := reduces.wrap(maps.wrap(wordCount))
				inner := a.Reduce
				a.Reduce = func(key string, values []string) string {
					if mr.Hash(key)%2 == 1 {
						<-release // the coordinator dies once reduce 0 committed
					}
					return inner(key, values)
				}
				net1 := &link{}
				first := cl.startWorker(a, net1)
				synctest.Wait()
				require.Equal(t, 1, cl.c().Progress().ReducesDone)
				reduced := reduces.count(0)
				require.Positive(t, reduced)
				net1.setCut(true)
				require.NoError(t, damage(filepath.Join(cl.dir, jobfiles.Output(0))))

				restarted := cl.restart()
				require.Equal(t, 0, restarted.Progress().ReducesDone, "a damaged committed output must not count")
				close(release)
				<-first
				require.NoError(t, <-cl.startWorker(reduces.wrap(maps.wrap(wordCount)), nil))
				require.NoError(t, restarted.Finish())
				require.Equal(t, 2*reduced, reduces.count(0), "reduce 0 must run again")
				require.Equal(t, cl.want(wordCount), cl.output())
			})
		})
	}
}

func TestSecondCoordinatorOnAFolderIsRefused(t *testing.T) {
	cl := newCluster(t, texts, 3)
	journal := filepath.Join(cl.dir, jobfiles.Journal)
	before, err := os.ReadFile(journal)
	require.NoError(t, err)

	_, err = coordinator.New(cl.cfg)
	require.ErrorIs(t, err, flock.ErrHeld)
	require.ErrorContains(t, err, filepath.Join(cl.dir, jobfiles.Lock))
	require.ErrorContains(t, err, fmt.Sprintf("process %d", os.Getpid()))
	after, err := os.ReadFile(journal)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "the refused coordinator wrote into the journal")

	// Once the first lets go, the job resumes.
	cl.c().Close()
	c, err := coordinator.New(cl.cfg)
	require.NoError(t, err)
	c.Close()
}
