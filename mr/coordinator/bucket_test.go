package coordinator

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/protocol"
	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
	"6.5840/mr/s3job"
	"6.5840/mr/task"
)

// stagedUpload streams data to reduce task r's key under out and leaves
// the upload pending, as a reducer does.
func stagedUpload(t *testing.T, c *s3.Client, out string, r int, data string) *protocol.Upload {
	t.Helper()
	o, err := s3job.ParseOutput(c, out)
	require.NoError(t, err)
	w, err := o.Create(context.Background(), r)
	require.NoError(t, err)
	_, err = io.Copy(w, strings.NewReader(data))
	require.NoError(t, err)
	u, err := w.Finish()
	require.NoError(t, err)
	return s3job.Pending(u)
}

// reportUpload reports the success of reduce attempt id with its upload.
func reportUpload(t *testing.T, s *Service, w protocol.Header, id task.AttemptID, u *protocol.Upload) protocol.Verdict {
	var reply protocol.ReportReply
	require.NoError(t, s.Report(&protocol.ReportArgs{Header: w, Attempt: id, Upload: u}, &reply))
	return reply.Verdict
}

func TestRevokedAttemptsUploadNeverReplacesTheCommittedOne(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	ctx := context.Background()
	_, err := client.PutObject(ctx, s3test.Bucket, "in/a.txt", []byte("x y\n"), s3.PutOptions{})
	require.NoError(t, err)
	out := "s3://" + s3test.Bucket + "/job/"
	cfg := DefaultConfig()
	cfg.Inputs, cfg.NReduce, cfg.Dir = []string{"s3://" + s3test.Bucket + "/in/"}, 1, t.TempDir()
	cfg.Output, cfg.S3 = out, client
	cfg.Lease, cfg.HeartbeatInterval, cfg.PollTimeout = 50*time.Millisecond, 10*time.Millisecond, 2*time.Second
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	s := &Service{c: c}

	slow, fast := register(t, s), register(t, s)
	m := getTask(t, s, slow)
	require.Equal(t, task.Map, m.Attempt.Task.Kind)
	require.Equal(t, "s3://"+s3test.Bucket+"/in/a.txt", m.Input.Path, "Map gets the object's name")
	require.NotEmpty(t, m.Input.ETag)
	require.Equal(t, protocol.VerdictCommitted, report(t, s, slow, m.Attempt, nil))

	first := getTask(t, s, slow)
	require.Equal(t, task.Reduce, first.Attempt.Task.Kind)
	require.Equal(t, out, first.Output, "a reducer learns the output prefix from its task")
	stale := stagedUpload(t, client, out, 0, "the revoked attempt's output\n")
	// No heartbeat: the lease runs out and the task goes to another
	// worker, within the poll.
	second := getTask(t, s, fast)
	require.Equal(t, first.Attempt.Task, second.Attempt.Task)
	require.NotEqual(t, first.Attempt, second.Attempt)
	// The second attempt's worker heartbeats while it uploads: on a busy
	// machine two uploads can take longer than the short lease.
	uploaded := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		tick := time.NewTicker(cfg.HeartbeatInterval)
		defer tick.Stop()
		for {
			var hb protocol.HeartbeatReply
			if err := s.Heartbeat(&protocol.HeartbeatArgs{Header: fast, Attempt: second.Attempt}, &hb); err != nil || hb.Revoked {
				t.Errorf("heartbeat of the second attempt: %v, revoked %v", err, hb.Revoked)
				return
			}
			select {
			case <-uploaded:
				return
			case <-tick.C:
			}
		}
	}()
	fresh := stagedUpload(t, client, out, 0, "the committed attempt's output\n")
	stagedUpload(t, client, out, 0, "an attempt whose worker died before reporting\n")
	close(uploaded)
	<-beating
	require.Equal(t, protocol.VerdictCommitted, reportUpload(t, s, fast, second.Attempt, fresh))
	require.Equal(t, protocol.VerdictIgnored, reportUpload(t, s, slow, first.Attempt, stale))

	r, err := client.NewReader(ctx, s3test.Bucket, "job/mr-out-0", 0, -1, s3.ReadOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "the committed attempt's output\n", string(got))

	pending, err := client.ListUploads(ctx, s3test.Bucket, "job/")
	require.NoError(t, err)
	require.Len(t, pending, 1, "the revoked attempt's upload is aborted when its report comes")
	<-c.Done()
	require.NoError(t, c.Finish())
	pending, err = client.ListUploads(ctx, s3test.Bucket, "job/")
	require.NoError(t, err)
	require.Empty(t, pending, "the job's end aborts the upload of the attempt that never reported")
	r, err = client.NewReader(ctx, s3test.Bucket, "job/mr-out-0", 0, -1, s3.ReadOptions{})
	require.NoError(t, err)
	got, err = io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "the committed attempt's output\n", string(got), "the sweep leaves the committed object")
}
