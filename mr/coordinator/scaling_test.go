package coordinator

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

func TestPollersWakeOneAtATime(t *testing.T) {
	var p pollers
	first, second := p.add(), p.add()
	p.wakeOne()
	requireWoken(t, first, true)
	requireWoken(t, second, false)
	require.False(t, p.remove(first), "a woken poller has left the queue")
	require.True(t, p.remove(second), "a poller still waiting leaves it")
	require.Zero(t, p.waiting.Len())

	all := []*poller{p.add(), p.add(), p.add()}
	p.wakeAll()
	for _, w := range all {
		requireWoken(t, w, true)
	}
	p.wakeOne() // nobody waits: nothing happens
}

func requireWoken(t *testing.T, w *poller, want bool) {
	t.Helper()
	select {
	case <-w.wake:
		require.True(t, want, "woken")
	default:
		require.False(t, want, "not woken")
	}
}

func TestTimingFor(t *testing.T) {
	base := timing{interval: 250 * time.Millisecond, lease: 2 * time.Second, poll: time.Second}
	require.Equal(t, base, timingFor(base, 1))
	require.Equal(t, base, timingFor(base, workersAtBaseTiming))
	require.Equal(t, timing{interval: 2500 * time.Millisecond, lease: 20 * time.Second, poll: 10 * time.Second},
		timingFor(base, 10*workersAtBaseTiming))
}

// newSplitService returns the service of a coordinator for one input cut
// into maps map tasks, and nReduce reduce tasks, without a journal.
func newSplitService(t *testing.T, maps, nReduce int) (*Service, *Coordinator) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(in, []byte(strings.Repeat("x\n", maps)), 0o644))
	cfg := DefaultConfig()
	cfg.Inputs, cfg.NReduce, cfg.Dir, cfg.SplitSize, cfg.NoJournal = []string{in}, nReduce, dir, 2, true
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	require.Equal(t, maps, c.table.Maps())
	return &Service{c: c}, c
}

// TestTimingGrowsPastAThousandWorkers: workers registering past
// workersAtBaseTiming are told a longer heartbeat interval, lease and
// poll, and leases from then on are that long; a worker told the short
// poll is held no longer than that.
func TestTimingGrowsPastAThousandWorkers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newSplitService(t, 1, 1)
		register := func() (protocol.Header, protocol.RegisterReply) {
			var reply protocol.RegisterReply
			require.NoError(t, s.Register(&protocol.RegisterArgs{Host: "h", PID: 1}, &reply))
			return protocol.Header{Worker: reply.Worker, Epoch: reply.Epoch, Session: reply.Session}, reply
		}
		early, first := register()
		require.Equal(t, DefaultLease, first.Lease)
		require.Equal(t, DefaultHeartbeatInterval, first.HeartbeatInterval)
		var late protocol.Header
		var last protocol.RegisterReply
		for range 2*workersAtBaseTiming - 1 {
			late, last = register()
		}
		require.Equal(t, 2*DefaultLease, last.Lease)
		require.Equal(t, 2*DefaultHeartbeatInterval, last.HeartbeatInterval)
		require.Equal(t, 2*DefaultPollTimeout, last.PollTimeout)

		// The one map task, handed out now, keeps its lease past the
		// configured one without a heartbeat.
		run := getTask(t, s, late)
		require.Equal(t, task.Map, run.Attempt.Task.Kind)
		time.Sleep(DefaultLease + DefaultLease/2)
		var hb protocol.HeartbeatReply
		require.NoError(t, s.Heartbeat(&protocol.HeartbeatArgs{Header: late, Attempt: run.Attempt}, &hb))
		require.False(t, hb.Revoked, "the lease is the longer one")

		// The early worker's poll ends when it was told it would.
		start := time.Now()
		require.Equal(t, protocol.ActionWait, getTask(t, s, early).Action)
		require.Equal(t, DefaultPollTimeout, time.Since(start))
	})
}

// TestIdlePollersAllTakeTheTasksOneChangeFrees: when the last map commits,
// the reduce tasks it frees reach every idle poller at once, one waking
// the next, long before their polls time out.
func TestIdlePollersAllTakeTheTasksOneChangeFrees(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const reduces = 20
		s, _ := newSplitService(t, 1, reduces)
		mapper := register(t, s)
		m := getTask(t, s, mapper)
		require.Equal(t, task.Map, m.Attempt.Task.Kind)

		var wg sync.WaitGroup
		got := make([]protocol.GetTaskReply, reduces)
		for i := range reduces {
			w := register(t, s)
			wg.Go(func() { got[i] = getTask(t, s, w) })
		}
		synctest.Wait() // every poller waits
		start := time.Now()
		var reply protocol.ReportReply
		require.NoError(t, s.Report(&protocol.ReportArgs{Header: mapper, Attempt: m.Attempt}, &reply))
		wg.Wait()
		require.Less(t, time.Since(start), DefaultPollTimeout, "no poller waited out its poll")
		seen := map[int]bool{}
		for _, r := range got {
			require.Equal(t, task.Reduce, r.Attempt.Task.Kind, fmt.Sprint(r.Action))
			seen[r.Attempt.Task.Index] = true
		}
		require.Len(t, seen, reduces, "each poller took another reduce task")
	})
}
