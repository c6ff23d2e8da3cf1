package coordinator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/coordinator"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/worker"
)

// skewedTexts are inputs whose words are far from uniform: "the" is a
// fifth of them, the rest 150 two-letter words.
func skewedTexts() map[string]string {
	inputs := map[string]string{}
	for f := range 6 {
		var b strings.Builder
		for i := range 200 {
			if i%4 == 0 {
				b.WriteString("the ")
			}
			x := (i*7 + f*13) % 150
			fmt.Fprintf(&b, "%c%c ", 'a'+x%26, 'a'+x/26)
		}
		inputs[fmt.Sprintf("in%d.txt", f)] = b.String()
	}
	return inputs
}

func totalOrder(c *coordinator.Config) { c.TotalOrder = true }

// orderedOutput returns the lines of mr-out-0 .. mr-out-(n-1), in that
// order, and how many of the files hold at least one line.
func (cl *cluster) orderedOutput(n int) ([]string, int) {
	var lines []string
	nonEmpty := 0
	for r := range n {
		data, err := os.ReadFile(filepath.Join(cl.dir, jobfiles.Output(r)))
		require.NoError(cl.t, err)
		if len(data) > 0 {
			nonEmpty++
			lines = append(lines, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
		}
	}
	return lines, nonEmpty
}

// requireKeysSorted fails unless the keys of lines ("key value") are in
// increasing order.
func requireKeysSorted(t *testing.T, lines []string) {
	t.Helper()
	keys := make([]string, len(lines))
	for i, l := range lines {
		keys[i], _, _ = strings.Cut(l, " ")
	}
	for i := 1; i < len(keys); i++ {
		require.Less(t, keys[i-1], keys[i], "line %d is out of order", i)
	}
}

func TestTotalOrderOutputsAreOneSortedSequence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const nReduce = 4
		cl := newCluster(t, skewedTexts(), nReduce, totalOrder)
		a, b := cl.startWorker(wordCount, nil), cl.startWorker(wordCount, nil)
		require.NoError(t, <-a)
		require.NoError(t, <-b)
		require.NoError(t, cl.c().Err())

		lines, nonEmpty := cl.orderedOutput(nReduce)
		requireKeysSorted(t, lines)
		sorted := slices.Clone(lines)
		slices.Sort(sorted)
		require.Equal(t, cl.want(wordCount), sorted, "the same lines as the sequential run")
		require.Equal(t, nReduce, nonEmpty, "sampled split points spread the keys over every partition")

		samples := 0
		for _, at := range cl.c().Snapshot().Attempts {
			if strings.HasPrefix(at.Task, "sample-") {
				samples++
				require.Equal(t, "committed", at.Outcome)
			}
		}
		require.Equal(t, 6, samples, "one sample task per input, up to ten")
	})
}

func TestTotalOrderRefusesAPartitionPluginNamingBoth(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2, totalOrder)
		partitioned := wordCount
		partitioned.Partition = func(string, int) int { return 0 }
		err := <-cl.startWorker(partitioned, nil)
		require.ErrorIs(t, err, worker.ErrWorkerRefused)
		require.ErrorContains(t, err, "-total-order")
		require.ErrorContains(t, err, "exports Partition")
		require.Equal(t, worker.ExitBadConfig, worker.ExitOf(err), "a usage error: exit status 2")
		require.NoError(t, <-cl.startWorker(wordCount, nil), "a plugin without Partition runs the job")
	})
}

func TestTotalOrderPoisonSampleFailsTheJobNamingTheInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2, totalOrder, func(c *coordinator.Config) { c.MaxFailures = 1 })
		poisoned := wordCount
		poisoned.Map = func(name, contents string) []mr.KeyValue {
			if strings.HasSuffix(name, "three.txt") {
				panic("cannot parse")
			}
			return wordCount.Map(name, contents)
		}
		require.ErrorIs(t, <-cl.startWorker(poisoned, nil), worker.ErrJobFailed)
		err := cl.c().Err()
		require.ErrorContains(t, err, "sample-")
		require.ErrorContains(t, err, "three.txt")
	})
}

func TestTotalOrderSkipsAPoisonInputUnderSkipBadInputs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2, totalOrder, func(c *coordinator.Config) { c.MaxFailures = 0; c.SkipBadInputs = true })
		poisoned := wordCount
		poisoned.Map = func(name, contents string) []mr.KeyValue {
			if strings.HasSuffix(name, "three.txt") {
				panic("cannot parse")
			}
			return wordCount.Map(name, contents)
		}
		require.NoError(t, <-cl.startWorker(poisoned, nil))
		require.NoError(t, cl.c().Finish())
		require.Equal(t, []string{filepath.Join(cl.dir, "three.txt")}, cl.c().Skipped())
		lines, _ := cl.orderedOutput(2)
		requireKeysSorted(t, lines)
	})
}

func TestTotalOrderSplitPointsSurviveACoordinatorRestart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const nReduce = 3
		inputs := skewedTexts()
		cl := newCluster(t, inputs, nReduce, totalOrder)
		counter := &mapCounter{}
		release := make(chan struct{})
		var in5Calls atomic.Int32
		blocking := counter.wrap(wordCount)
		inner := blocking.Map
		blocking.Map = func(name, contents string) []mr.KeyValue {
			// Its sample runs; its map task holds the job mid-way.
			if strings.HasSuffix(name, "in5.txt") && in5Calls.Add(1) == 2 {
				<-release
			}
			return inner(name, contents)
		}
		net1 := &link{}
		first := cl.startWorker(blocking, net1)
		synctest.Wait()
		require.Equal(t, len(inputs)-1, cl.c().Progress().MapsDone)
		state, err := journal.Read(filepath.Join(cl.dir, jobfiles.Journal), journal.Shape{Maps: len(inputs), Reduces: nReduce})
		require.NoError(t, err)
		require.True(t, state.HasSplits, "the split points are journaled before any map runs")
		require.Len(t, state.Splits, nReduce-1)

		net1.setCut(true)
		restarted := cl.restart()
		require.Equal(t, len(inputs)-1, restarted.Progress().MapsDone, "the committed maps stay valid")
		second := cl.startWorker(counter.wrap(wordCount), nil)
		require.NoError(t, <-second)
		require.NoError(t, restarted.Finish())
		for name := range inputs {
			// Its sample and its map task; in5.txt's map that the restart
			// caught has not returned yet, and the new worker mapped it.
			require.Equal(t, 2, counter.count(name), "%s: sampled again after the restart?", name)
		}
		time.Sleep(coordinator.DefaultLease + time.Second)
		close(release)
		<-first

		lines, _ := cl.orderedOutput(nReduce)
		requireKeysSorted(t, lines)
		slices.Sort(lines)
		require.Equal(t, cl.want(wordCount), lines)
	})
}

func TestTotalOrderIsPartOfTheJobsFingerprint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cl := newCluster(t, texts, 2)
		cl.c().Close()
		other := cl.cfg
		other.TotalOrder = true
		_, err := coordinator.New(other)
		require.ErrorContains(t, err, "another job")
	})
}
