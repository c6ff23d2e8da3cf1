package coordinator

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
	"6.5840/mr/status"
	"6.5840/mr/task"
)

// newTestService returns the RPC service of a coordinator for one small
// input and nReduce reduce tasks.
func newTestService(t *testing.T, nReduce int) (*Service, *Coordinator) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(in, []byte("x"), 0o644))
	cfg := DefaultConfig()
	cfg.Inputs, cfg.NReduce, cfg.Dir = []string{in}, nReduce, dir
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return &Service{c: c}, c
}

// register registers a worker and returns the header of its requests.
func register(t *testing.T, s *Service) protocol.Header {
	var reply protocol.RegisterReply
	require.NoError(t, s.Register(&protocol.RegisterArgs{Host: "h", PID: 1}, &reply))
	require.Empty(t, reply.Refused)
	return protocol.Header{Worker: reply.Worker, Epoch: reply.Epoch, Session: reply.Session}
}

func getTask(t *testing.T, s *Service, w protocol.Header) protocol.GetTaskReply {
	var reply protocol.GetTaskReply
	require.NoError(t, s.GetTask(&protocol.GetTaskArgs{Header: w}, &reply))
	require.False(t, reply.UnknownWorker)
	return reply
}

// report reports the success of attempt id. For a reduce attempt it first
// stages an output, as a worker does, for the coordinator to rename.
func report(t *testing.T, s *Service, w protocol.Header, id task.AttemptID, counters map[string]int64) protocol.Verdict {
	if id.Task.Kind == task.Reduce {
		staged := filepath.Join(s.c.cfg.Dir, jobfiles.StagedOutput(id.Task.Index, id.Attempt))
		require.NoError(t, os.WriteFile(staged, []byte("out\n"), 0o644))
	}
	var reply protocol.ReportReply
	require.NoError(t, s.Report(&protocol.ReportArgs{Header: w, Attempt: id, Counters: counters}, &reply))
	require.False(t, reply.UnknownWorker)
	return reply.Verdict
}

func TestInvalidCallsChangeNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		w := register(t, s)
		other := register(t, s)
		run := getTask(t, s, w)
		require.Equal(t, protocol.ActionRun, run.Action)

		// An unknown worker, and a known one from another coordinator
		// start (epoch), must register again.
		for _, h := range []protocol.Header{{Worker: 99, Epoch: w.Epoch}, {Worker: w.Worker, Epoch: "earlier"}} {
			var hb protocol.HeartbeatReply
			require.NoError(t, s.Heartbeat(&protocol.HeartbeatArgs{Header: h, Attempt: run.Attempt}, &hb))
			require.True(t, hb.UnknownWorker)
			require.False(t, hb.Revoked, "nothing but the refusal is answered")
			var rr protocol.ReportReply
			require.NoError(t, s.Report(&protocol.ReportArgs{Header: h, Attempt: run.Attempt}, &rr))
			require.Equal(t, protocol.ReportReply{ReplyHeader: protocol.ReplyHeader{UnknownWorker: true}}, rr)
			var gr protocol.GetTaskReply
			require.NoError(t, s.GetTask(&protocol.GetTaskArgs{Header: h}, &gr))
			require.Equal(t, protocol.GetTaskReply{ReplyHeader: protocol.ReplyHeader{UnknownWorker: true}}, gr)
			var mr protocol.MapOutputsReply
			require.NoError(t, s.MapOutputs(&protocol.MapOutputsArgs{Header: h, Attempt: run.Attempt}, &mr))
			require.Equal(t, protocol.MapOutputsReply{ReplyHeader: protocol.ReplyHeader{UnknownWorker: true}}, mr)
		}

		bogus := []task.AttemptID{
			{Task: task.ID{Kind: task.Map, Index: 5}, Attempt: 1},    // no such task
			{Task: task.ID{Kind: task.Reduce, Index: 0}, Attempt: 1}, // reduce during the map phase
			{Task: task.ID{Kind: 9, Index: 0}, Attempt: 1},           // no such kind
			{Task: run.Attempt.Task, Attempt: 7},                     // never handed out
		}
		for _, id := range bogus {
			require.Equal(t, protocol.VerdictRejected, report(t, s, w, id, nil), "%v", id)
		}
		// Another worker cannot report or renew this worker's attempt.
		require.Equal(t, protocol.VerdictRejected, report(t, s, other, run.Attempt, nil))
		var hb protocol.HeartbeatReply
		require.NoError(t, s.Heartbeat(&protocol.HeartbeatArgs{Header: other, Attempt: run.Attempt}, &hb))
		require.True(t, hb.Revoked)
		require.Equal(t, Progress{Maps: 1, Reduces: 1, MapsRunning: 1}, c.Progress())
		require.Empty(t, c.Counters())
	})
}

func TestCountersOnlyFromCommittedAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		slow, fast := register(t, s), register(t, s)
		first := getTask(t, s, slow)
		// The slow worker goes silent; its attempt is revoked and the task
		// handed to the fast one.
		second := getTask(t, s, fast)
		for second.Action == protocol.ActionWait {
			second = getTask(t, s, fast)
		}
		require.Equal(t, protocol.ActionRun, second.Action)
		require.Equal(t, first.Attempt.Task, second.Attempt.Task)
		require.Equal(t, 2, second.Attempt.Attempt)

		require.Equal(t, protocol.VerdictCommitted, report(t, s, fast, second.Attempt, map[string]int64{"lines": 3}))
		require.Equal(t, protocol.VerdictIgnored, report(t, s, slow, first.Attempt, map[string]int64{"lines": 3}))
		// A repeated report (its first answer was lost) is answered
		// committed again, so the worker keeps its output, and counted once.
		require.Equal(t, protocol.VerdictCommitted, report(t, s, fast, second.Attempt, map[string]int64{"lines": 3}))
		require.Equal(t, map[string]int64{"lines": 3}, c.Counters())

		red := getTask(t, s, fast)
		require.Equal(t, task.Reduce, red.Attempt.Task.Kind)
		attempts, _ := locationsOf(t, s, fast, red)
		require.Equal(t, []int{2}, attempts, "the reducer must read the committed attempt")
		require.Equal(t, protocol.VerdictCommitted, report(t, s, fast, red.Attempt, map[string]int64{"lines": 1, "keys": 2}))
		require.Equal(t, map[string]int64{"lines": 4, "keys": 2}, c.Counters())
		require.Equal(t, protocol.ActionExit, getTask(t, s, slow).Action)
	})
}

// locationsOf gathers the map locations of reduce assignment r of worker
// h, asking s for the pages after the first, and returns the attempt and
// the server of every map task.
func locationsOf(t *testing.T, s *Service, h protocol.Header, r protocol.GetTaskReply) (attempts []int, servers []string) {
	t.Helper()
	fetch := func(from, known int) (protocol.LocationPage, error) {
		var reply protocol.MapLocationsReply
		err := s.MapLocations(&protocol.MapLocationsArgs{Header: h, Attempt: r.Attempt, From: from, KnownServers: known}, &reply)
		require.False(t, reply.Revoked, "the attempt asking for map locations is live")
		return reply.Page, err
	}
	var locs protocol.Locations
	table, err := protocol.GatherLocations(r.MapLocations, fetch, locs.Add)
	require.NoError(t, err)
	for _, i := range locs.Servers {
		servers = append(servers, table[i])
	}
	return locs.Attempts, servers
}

// commitServedMap registers a worker that serves its map output at
// 10.0.0.2:7001, and commits the job's one map task on it with a count of
// 5 records. It returns the worker's header.
func commitServedMap(t *testing.T, s *Service) protocol.Header {
	var reply protocol.RegisterReply
	require.NoError(t, s.Register(&protocol.RegisterArgs{Host: "b", PID: 2, Server: "10.0.0.2:7001"}, &reply))
	server := protocol.Header{Worker: reply.Worker, Epoch: reply.Epoch, Session: reply.Session}
	m := getTask(t, s, server)
	require.Equal(t, task.Map, m.Attempt.Task.Kind)
	require.Equal(t, protocol.VerdictCommitted, report(t, s, server, m.Attempt, map[string]int64{"records": 5}))
	return server
}

func TestSilentWorkerWithAServerLosesItsMapOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 2)
		server := commitServedMap(t, s)
		require.Equal(t, map[string]int64{"records": 5}, c.Counters())

		// Another worker, in the shared folder, stays in touch; the
		// server's worker falls silent.
		other := register(t, s)
		r := getTask(t, s, other)
		require.Equal(t, task.Reduce, r.Attempt.Task.Kind)
		_, servers := locationsOf(t, s, other, r)
		require.Equal(t, []string{"10.0.0.2:7001"}, servers)
		for range 6 {
			time.Sleep(DefaultLease / 2)
			var hb protocol.HeartbeatReply
			require.NoError(t, s.Heartbeat(&protocol.HeartbeatArgs{Header: other, Attempt: r.Attempt}, &hb))
			require.False(t, hb.Revoked)
		}
		snap := c.Snapshot()
		require.Equal(t, 1, snap.Job.MapsRerun)
		require.Equal(t, 0, snap.Maps.Done, "the silent worker's map output is lost with it")
		require.Empty(t, c.Counters()["records"], "a lost output's counts are taken back")
		var mo protocol.MapOutputsReply
		require.NoError(t, s.MapOutputs(&protocol.MapOutputsArgs{Header: other, Attempt: r.Attempt, Want: []int{0}}, &mo))
		require.True(t, mo.Yield, "no worker runs the map again: the waiting reducer must give way")

		// Back, the lost worker must register again.
		var gr protocol.GetTaskReply
		require.NoError(t, s.GetTask(&protocol.GetTaskArgs{Header: server}, &gr))
		require.True(t, gr.UnknownWorker)
	})
}

func TestRequestSpeaksOnlyForItsOwnWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		victim, attacker := register(t, s), register(t, s)
		require.NotEqual(t, victim.Session, attacker.Session)
		require.Len(t, victim.Session, 2*sessionBytes)
		run := getTask(t, s, victim)
		require.Equal(t, protocol.ActionRun, run.Action)

		// The attacker, who holds the secret and a session of its own,
		// speaks as the victim: with its own session, with none, with a
		// guessed one.
		for _, session := range []string{attacker.Session, "", victim.Session[:len(victim.Session)-1] + "0"} {
			if session == victim.Session {
				continue
			}
			spoofed := protocol.Header{Worker: victim.Worker, Epoch: victim.Epoch, Session: session}
			var rr protocol.ReportReply
			err := s.Report(&protocol.ReportArgs{Header: spoofed, Attempt: run.Attempt, Error: "spoofed failure"}, &rr)
			require.ErrorContains(t, err, protocol.ErrWrongSession)
			var hb protocol.HeartbeatReply
			err = s.Heartbeat(&protocol.HeartbeatArgs{Header: spoofed, Attempt: run.Attempt}, &hb)
			require.ErrorContains(t, err, protocol.ErrWrongSession)
			var gr protocol.GetTaskReply
			require.ErrorContains(t, s.GetTask(&protocol.GetTaskArgs{Header: spoofed}, &gr), protocol.ErrWrongSession)
		}
		// The attempt runs on, unharmed, and commits.
		var hb protocol.HeartbeatReply
		require.NoError(t, s.Heartbeat(&protocol.HeartbeatArgs{Header: victim, Attempt: run.Attempt}, &hb))
		require.False(t, hb.Revoked)
		require.Equal(t, Progress{Maps: 1, Reduces: 1, MapsRunning: 1}, c.Progress())
		require.Equal(t, protocol.VerdictCommitted, report(t, s, victim, run.Attempt, nil))
		for _, a := range c.Snapshot().Attempts {
			require.Equal(t, status.OutcomeCommitted, a.Outcome, "attempt %s", a.ID)
		}
	})
}

func TestAbsurdCountersAreRefused(t *testing.T) {
	long := string(make([]byte, table.MaxCounterName+1))
	many := map[string]int64{}
	for i := range table.MaxCounters + 1 {
		many[fmt.Sprint(i)] = 1
	}
	for name, counters := range map[string]map[string]int64{
		"MaxInt64":  {"records": math.MaxInt64},
		"negative":  {"records": -1},
		"-2^62":     {"records": -1 << 62},
		"long name": {long: 1},
		"too many":  many,
	} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, c := newTestService(t, 1)
				w := register(t, s)
				run := getTask(t, s, w)
				require.Equal(t, protocol.VerdictFailed, report(t, s, w, run.Attempt, counters))
				require.Empty(t, c.Counters())
				attempts := c.Snapshot().Attempts
				require.Equal(t, status.OutcomeFailed, attempts[0].Outcome)
				require.Contains(t, attempts[0].Error, "counters refused")
				// The task runs again, and commits with sane counts.
				again := getTask(t, s, w)
				require.Equal(t, run.Attempt.Task, again.Attempt.Task)
				require.Equal(t, protocol.VerdictCommitted, report(t, s, w, again.Attempt, map[string]int64{"records": 3}))
				require.Equal(t, map[string]int64{"records": 3}, c.Counters())
			})
		})
	}
}

func TestReportEscapesHostileCounterNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		w := register(t, s)
		run := getTask(t, s, w)
		hostile := `<script>alert("x")</script>`
		require.Equal(t, protocol.VerdictCommitted, report(t, s, w, run.Attempt, map[string]int64{hostile: 1}))
		_, htmlPath, err := status.WriteReport(t.TempDir(), "report", c.Snapshot())
		require.NoError(t, err)
		page, err := os.ReadFile(htmlPath)
		require.NoError(t, err)
		require.NotContains(t, string(page), hostile)
		require.Contains(t, string(page), "&lt;script&gt;")
	})
}

func TestWorkerThatLosesLeasesButLivesFailsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		w := register(t, s)
		// A worker starved of its heartbeats (a swamped network, a stalled
		// host) loses its lease again and again, but is alive: it asks for
		// work, and its late heartbeat is answered "revoked".
		rounds := DefaultMaxFailures + 2
		for i := range rounds {
			run := getTask(t, s, w)
			require.Equal(t, protocol.ActionRun, run.Action, "round %d", i)
			time.Sleep(DefaultLease + DefaultHeartbeatInterval)
			var hb protocol.HeartbeatReply
			require.NoError(t, s.Heartbeat(&protocol.HeartbeatArgs{Header: w, Attempt: run.Attempt}, &hb))
			require.True(t, hb.Revoked, "round %d", i)
			time.Sleep(3 * DefaultLease) // long after any loss would count
			require.NoError(t, c.Err(), "round %d: a live worker's lost leases failed the job", i)
		}
		revoked := 0
		for _, a := range c.Snapshot().Attempts {
			if a.Outcome == status.OutcomeRevoked {
				revoked++
			}
		}
		require.Equal(t, rounds, revoked)
		run := getTask(t, s, w)
		require.Equal(t, protocol.VerdictCommitted, report(t, s, w, run.Attempt, nil))
	})
}

func TestWorkerThatDiesOnEveryAttemptFailsTheJobInBoundedTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		start := time.Now()
		for {
			// A fresh worker each time (a supervisor restarts it); the map
			// kills its process, so it is never heard from again.
			w := register(t, s)
			run := getTask(t, s, w)
			if run.Action == protocol.ActionExit {
				break
			}
			require.Equal(t, protocol.ActionRun, run.Action)
			time.Sleep(DefaultLease + DefaultHeartbeatInterval)
		}
		elapsed := time.Since(start)
		require.ErrorContains(t, c.Err(), "map-0")
		require.ErrorContains(t, c.Err(), fmt.Sprintf("failed %d times", DefaultMaxFailures+1))
		require.ErrorContains(t, c.Err(), "not heard from again")
		// Each attempt costs a lease to revoke; the last loss counts a
		// lease later.
		bound := time.Duration(DefaultMaxFailures+2) * (DefaultLease + DefaultHeartbeatInterval)
		require.LessOrEqual(t, elapsed, bound)
	})
}

// registerServers registers n workers, the i-th serving at
// prefix.(i/256).(i%256):7000, and returns their headers.
func registerServers(t *testing.T, s *Service, n int, prefix string) []protocol.Header {
	t.Helper()
	workers := make([]protocol.Header, n)
	for i := range workers {
		var reply protocol.RegisterReply
		require.NoError(t, s.Register(&protocol.RegisterArgs{Host: "h", PID: i, Server: fmt.Sprintf("%s.%d.%d:7000", prefix, i/256, i%256)}, &reply))
		workers[i] = protocol.Header{Worker: reply.Worker, Epoch: reply.Epoch, Session: reply.Session}
	}
	return workers
}

// TestMapLocationsComeInPages: a reducer of a job with more map locations
// and servers than a page holds gathers them all, page by page, each map
// task on the server of the worker that committed it.
func TestMapLocationsComeInPages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const maps, servers = 30_000, serversPerPage + 100
		s, c := newSplitService(t, maps, 1)

		workers := registerServers(t, s, servers, "10.1")
		want := make([]string, maps)
		for i := range maps {
			w := workers[i%servers]
			m := getTask(t, s, w)
			require.Equal(t, task.Map, m.Attempt.Task.Kind)
			want[m.Attempt.Task.Index] = fmt.Sprintf("10.1.%d.%d:7000", i%servers/256, i%servers%256)
			require.Equal(t, protocol.VerdictCommitted, report(t, s, w, m.Attempt, nil))
		}
		red := getTask(t, s, workers[0])
		require.Equal(t, task.Reduce, red.Attempt.Task.Kind)
		require.LessOrEqual(t, len(red.MapLocations.Runs), locationPageBytes+binary.MaxVarintLen64*3, "the first page is bounded")
		require.Len(t, red.MapLocations.Servers, serversPerPage)
		attempts, got := locationsOf(t, s, workers[0], red)
		require.Equal(t, want, got)
		require.Equal(t, slices.Repeat([]int{1}, maps), attempts)

		// A lost output is pending in the pages asked for after it.
		lost := task.AttemptID{Task: task.ID{Kind: task.Map, Index: 20_000}, Attempt: 1}
		c.mu.Lock()
		require.Equal(t, table.DecisionRerun, c.table.LoseOutput(lost, "test", time.Now()))
		c.mu.Unlock()
		attempts, _ = locationsOf(t, s, workers[0], red)
		wantAttempts := slices.Repeat([]int{1}, maps)
		wantAttempts[20_000] = protocol.Pending
		require.Equal(t, wantAttempts, attempts)
	})
}

// TestMapLocationsWithMoreServerPagesThanRunPages: when every map task's
// run fits in the first page but the server table does not, the reducer
// asks for the rest of the servers from past the last map task, and gets
// them.
func TestMapLocationsWithMoreServerPagesThanRunPages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const servers = 2*serversPerPage + 10
		const maps = servers
		s, _ := newSplitService(t, maps, 1)
		workers := registerServers(t, s, servers, "10.2")
		want := make([]string, maps)
		for i, w := range workers {
			m := getTask(t, s, w)
			want[m.Attempt.Task.Index] = fmt.Sprintf("10.2.%d.%d:7000", i/256, i%256)
			require.Equal(t, protocol.VerdictCommitted, report(t, s, w, m.Attempt, nil))
		}
		red := getTask(t, s, workers[0])
		require.Equal(t, task.Reduce, red.Attempt.Task.Kind)
		require.Len(t, red.MapLocations.Servers, serversPerPage)
		_, got := locationsOf(t, s, workers[0], red)
		require.Equal(t, want, got)
	})
}
