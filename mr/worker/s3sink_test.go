package worker

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
	"6.5840/mr/s3job"
	"6.5840/mr/task"
)

// bucketReduce is a reduce attempt of letters over map outputs in dir,
// with its output in the server's bucket under out/.
func bucketReduce(t *testing.T, srv *s3test.Server, dir string, attempts []int) reduceAttempt {
	c := srv.Client(t)
	return reduceAttempt{app: letters, dir: dir, id: task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1},
		nReduce: 1, mapAttempts: attempts, locate: noLocate(t),
		output: "s3://" + s3test.Bucket + "/out/", bucket: func() (*s3.Client, error) { return c, nil }}
}

func TestReduceToABucketLeavesItsUploadPending(t *testing.T) {
	srv := s3test.Start(t)
	dir := t.TempDir()
	at := bucketReduce(t, srv, dir, runMaps(t, letters, dir, 1, "abca", "b"))
	u, stats, err := at.writeUpload(context.Background())
	require.NoError(t, err)
	require.Equal(t, int64(3), stats.groups)
	require.Equal(t, s3test.Bucket, u.Bucket)
	require.Equal(t, "out/mr-out-0", u.Key)
	c := srv.Client(t)
	_, err = c.HeadObject(context.Background(), s3test.Bucket, u.Key)
	require.ErrorIs(t, err, s3.ErrNoSuchKey, "the worker never completes its upload")

	out, err := s3job.ParseOutput(c, at.output)
	require.NoError(t, err)
	_, err = out.Complete(context.Background(), *u, 0)
	require.NoError(t, err)
	r, err := c.NewReader(context.Background(), s3test.Bucket, u.Key, 0, -1, s3.ReadOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "a 0,3\nb 1,0\nc 2\n", string(got))
}

func TestRevokedReduceToABucketAbortsItsUpload(t *testing.T) {
	srv := s3test.Start(t)
	dir := t.TempDir()
	at := bucketReduce(t, srv, dir, runMaps(t, letters, dir, 1, "abc"))
	ctx, cancel := context.WithCancel(context.Background())
	at.app.Reduce = func(key string, values []string) string {
		cancel() // revoked while Reduce runs
		return strings.Join(values, ",")
	}
	u, _, err := at.writeUpload(ctx)
	require.ErrorIs(t, err, context.Canceled)
	require.Nil(t, u)
	pending, err := srv.Client(t).ListUploads(context.Background(), s3test.Bucket, "out/")
	require.NoError(t, err)
	require.Empty(t, pending, "a revoked attempt aborts its upload even though its context ended")
}
