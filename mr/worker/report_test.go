package worker

import (
	"context"
	"log/slog"
	"net"
	"net/rpc"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// reportService is a coordinator that answers Report with outcome and
// records whether the worker served the attempt's output while the
// report was in flight.
type reportService struct {
	held           *heldOutputs
	outcome        protocol.Outcome
	servedInFlight bool
}

func (s *reportService) Report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	_, s.servedInFlight = s.held.Lookup(args.Attempt.Task.Index, args.Attempt.Attempt)
	reply.Outcome = s.outcome
	return nil
}

func TestMapOutputIsServedFromTheMomentItIsReported(t *testing.T) {
	tests := []struct {
		outcome protocol.Outcome
		kept    bool
	}{
		{protocol.OutcomeCommitted, true},
		{protocol.OutcomeIgnored, false},
		{protocol.OutcomeRejected, false},
	}
	for _, tt := range tests {
		t.Run(tt.outcome.String(), func(t *testing.T) {
			dir := t.TempDir()
			service := &reportService{outcome: tt.outcome}
			server := rpc.NewServer()
			require.NoError(t, server.RegisterName(protocol.ServiceName, service))
			dial := func() (net.Conn, error) {
				client, conn := net.Pipe()
				go server.ServeConn(conn)
				return client, nil
			}
			w, err := New(Config{App: letters, Dir: dir, Dial: dial})
			require.NoError(t, err)
			defer w.calls.close()
			service.held = w.held

			id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: 3}, Attempt: 2}
			file := w.held.path(id)
			require.NoError(t, os.WriteFile(file, []byte("output"), 0o644))
			_, _, err = w.report(context.Background(), slog.New(slog.DiscardHandler), id, outcome{files: []string{file}}, time.Now())
			require.NoError(t, err)

			require.True(t, service.servedInFlight, "a reducer told of the commit may fetch before the worker hears of it")
			_, served := w.held.Lookup(id.Task.Index, id.Attempt)
			require.Equal(t, tt.kept, served)
			_, statErr := os.Stat(file)
			require.Equal(t, tt.kept, statErr == nil, "the file stays if and only if it committed")
		})
	}
}
