package worker

import (
	"context"
	"log/slog"
	"net"
	"net/rpc"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/protocol"
	"6.5840/mr/task"
	"6.5840/mr/transport"
)

// reportService is a coordinator that answers Report with verdict, or
// that it does not know the worker, and records whether the worker served
// the attempt's output while the report was in flight.
type reportService struct {
	held           *heldOutputs
	verdict        protocol.Verdict
	unknown        bool
	servedInFlight bool
}

func (s *reportService) Report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	_, s.servedInFlight = s.held.Lookup(args.Attempt.Task.Index, args.Attempt.Attempt)
	reply.Verdict = s.verdict
	reply.UnknownWorker = s.unknown
	return nil
}

func TestMapOutputIsServedFromTheMomentItIsReported(t *testing.T) {
	tests := []struct {
		name    string
		verdict protocol.Verdict
		// unknown: the coordinator restarted and does not know the worker,
		// so the attempt may have committed before it did.
		unknown bool
		kept    bool
	}{
		{"committed", protocol.VerdictCommitted, false, true},
		{"ignored", protocol.VerdictIgnored, false, false},
		{"rejected", protocol.VerdictRejected, false, false},
		{"unknown worker", 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			service := &reportService{verdict: tt.verdict, unknown: tt.unknown}
			server := rpc.NewServer()
			require.NoError(t, server.RegisterName(protocol.ServiceName, service))
			dial := func() (net.Conn, error) {
				client, conn := net.Pipe()
				go server.ServeConn(conn)
				return client, nil
			}
			cfg := DefaultConfig()
			cfg.App, cfg.Dir, cfg.Dial = letters, dir, dial
			w, err := New(cfg)
			require.NoError(t, err)
			defer w.calls.close()
			service.held = w.held

			id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: 3}, Attempt: 2}
			file := w.held.path(id)
			require.NoError(t, os.WriteFile(file, []byte("output"), 0o644))
			_, _, err = w.report(context.Background(), slog.New(slog.DiscardHandler), id, result{files: []string{file}}, time.Now())
			require.NoError(t, err)

			require.True(t, service.servedInFlight, "a reducer told of the commit may fetch before the worker hears of it")
			_, served := w.held.Lookup(id.Task.Index, id.Attempt)
			require.Equal(t, tt.kept, served)
			_, statErr := os.Stat(file)
			require.Equal(t, tt.kept, statErr == nil, "the file stays if and only if it committed")
		})
	}
}

// vanishingCoordinator hands out one map task, commits its report and is
// gone before it answers: its connections close and every later dial is
// refused, as when a coordinator exits right after the job ends, before
// its last answers reach the workers.
type vanishingCoordinator struct {
	input string
	// mu guards gone, tasks and conns, the coordinator's ends of the
	// connections.
	mu    sync.Mutex
	gone  bool
	tasks int
	conns []net.Conn
}

func (c *vanishingCoordinator) Register(_ *protocol.RegisterArgs, reply *protocol.RegisterReply) error {
	*reply = protocol.RegisterReply{Worker: 1, Epoch: "e", Job: "job-1", NReduce: 1, Lease: time.Minute, PollTimeout: time.Second}
	return nil
}

func (c *vanishingCoordinator) GetTask(_ *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tasks++
	*reply = protocol.GetTaskReply{Action: protocol.ActionWait}
	if c.tasks == 1 {
		*reply = protocol.GetTaskReply{Action: protocol.ActionRun, NReduce: 1, Input: task.WholeFile(c.input),
			Attempt: task.AttemptID{Task: task.ID{Kind: task.Map}, Attempt: 1}}
	}
	return nil
}

func (c *vanishingCoordinator) Heartbeat(_ *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	return nil
}

func (c *vanishingCoordinator) Report(_ *protocol.ReportArgs, reply *protocol.ReportReply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gone = true
	for _, conn := range c.conns {
		conn.Close()
	}
	reply.Verdict = protocol.VerdictCommitted
	return nil
}

func TestServedOutputIsRemovedWhenTheCoordinatorVanishes(t *testing.T) {
	dir, local := t.TempDir(), t.TempDir()
	input := filepath.Join(dir, "in.txt")
	require.NoError(t, os.WriteFile(input, []byte("a b a"), 0o644))
	service := &vanishingCoordinator{input: input}
	server := rpc.NewServer()
	require.NoError(t, server.RegisterName(protocol.ServiceName, service))
	dial := func() (net.Conn, error) {
		service.mu.Lock()
		defer service.mu.Unlock()
		if service.gone {
			return nil, syscall.ECONNREFUSED
		}
		client, conn := net.Pipe()
		service.conns = append(service.conns, conn)
		go server.ServeConn(conn)
		return client, nil
	}
	cfg := DefaultConfig()
	cfg.App, cfg.Dir, cfg.LocalDir, cfg.Dial, cfg.Secret = letters, dir, local, dial, testSecret(t)
	cfg.Addr, cfg.RetryWindow = transport.Addr{Network: "tcp", Address: "127.0.0.1:9"}, 100*time.Millisecond
	w, err := New(cfg)
	require.NoError(t, err)
	err = w.Run(context.Background())
	require.ErrorIs(t, err, ErrCoordinatorUnreachable)
	require.True(t, service.tasks >= 1 && service.gone, "the map ran and was reported")
	entries, err := os.ReadDir(local)
	require.NoError(t, err)
	require.Empty(t, entries, "map output left behind where no one serves it")
}
