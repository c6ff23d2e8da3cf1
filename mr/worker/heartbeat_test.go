package worker

import (
	"context"
	"net"
	"net/rpc"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// beatingCoordinator hands out maps one by one; each map's Map waits for
// a heartbeat of its attempt, then the worker is told to exit.
type beatingCoordinator struct {
	inputs []string

	// mu guards next (the next map to hand out) and beaten (the attempt
	// whose heartbeat came, signalled once per attempt).
	mu     sync.Mutex
	next   int
	beaten map[int]chan struct{}
}

func (c *beatingCoordinator) beat(m int) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.beaten[m] == nil {
		c.beaten[m] = make(chan struct{})
	}
	return c.beaten[m]
}

func (c *beatingCoordinator) Register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) error {
	*reply = protocol.RegisterReply{Worker: 1, Epoch: "e", NReduce: 1, HeartbeatInterval: time.Millisecond, Lease: time.Minute}
	return nil
}

func (c *beatingCoordinator) GetTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == len(c.inputs) {
		reply.Action = protocol.ActionExit
		return nil
	}
	m := c.next
	c.next++
	*reply = protocol.GetTaskReply{
		Action:  protocol.ActionRun,
		Attempt: task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: 1},
		Input:   task.Input{Path: c.inputs[m]},
		NReduce: 1,
	}
	return nil
}

func (c *beatingCoordinator) Heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	ch := c.beat(args.Attempt.Task.Index)
	select {
	case <-ch:
	default:
		close(ch)
	}
	return nil
}

func (c *beatingCoordinator) Report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	reply.Verdict = protocol.VerdictCommitted
	return nil
}

// TestHeartbeatsKeepOneConnection: a worker dials the coordinator once for
// its loop and once for its heartbeats, however many attempts it runs, so
// that strangers holding the coordinator's handshake slots cannot starve
// a running worker's heartbeats.
func TestHeartbeatsKeepOneConnection(t *testing.T) {
	const maps = 4
	dir := t.TempDir()
	c := &beatingCoordinator{beaten: map[int]chan struct{}{}}
	index := map[string]int{}
	for m := range maps {
		path := filepath.Join(dir, "in-"+string(rune('a'+m)))
		require.NoError(t, os.WriteFile(path, []byte("x y z"), 0o644))
		c.inputs = append(c.inputs, path)
		index[path] = m
	}
	server := rpc.NewServer()
	require.NoError(t, server.RegisterName(protocol.ServiceName, c))
	var mu sync.Mutex
	dials := 0
	dial := func() (net.Conn, error) {
		mu.Lock()
		dials++
		mu.Unlock()
		client, conn := net.Pipe()
		go server.ServeConn(conn)
		return client, nil
	}
	a := app.App{
		Map: func(filename, contents string) []mr.KeyValue {
			<-c.beat(index[filename])
			return letters.Map(filename, contents)
		},
		Reduce: letters.Reduce,
	}
	cfg := DefaultConfig()
	cfg.App, cfg.Dir, cfg.Dial = a, dir, dial
	w, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, w.Run(ctx))
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 2, dials, "got a connection dialed per attempt")
}
