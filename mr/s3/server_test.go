package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
)

const bucket = s3test.Bucket

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func newClient(t *testing.T, srv *s3test.Server, edit func(*s3.Config)) *s3.Client {
	t.Helper()
	cfg := srv.Config()
	if edit != nil {
		edit(&cfg)
	}
	c, err := s3.New(cfg)
	require.NoError(t, err)
	return c
}

func TestPutHeadGetDelete(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	data := randomBytes(1, 1000)
	key := "dir/a key+with $odd=chars&é"
	etag, err := c.PutObject(ctx, bucket, key, data, s3.PutOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, etag)

	info, err := c.HeadObject(ctx, bucket, key)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), info.Size)
	require.Equal(t, etag, info.ETag)
	require.False(t, info.LastModified.IsZero())

	r, err := c.NewReader(ctx, bucket, key, 100, 250, s3.ReadOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, data[100:350], got)

	r, err = c.NewReader(ctx, bucket, key, 900, -1, s3.ReadOptions{IfMatch: etag})
	require.NoError(t, err)
	got, err = io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, data[900:], got)

	require.NoError(t, c.DeleteObject(ctx, bucket, key))
	_, err = c.HeadObject(ctx, bucket, key)
	require.ErrorIs(t, err, s3.ErrNoSuchKey)
	_, err = c.NewReader(ctx, bucket, key, 0, 10, s3.ReadOptions{})
	require.ErrorIs(t, err, s3.ErrNoSuchKey)
	require.ErrorContains(t, err, "s3://"+bucket+"/"+key)
}

func TestReadChangedObject(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	etag, err := c.PutObject(ctx, bucket, "k", []byte("version one"), s3.PutOptions{})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, bucket, "k", []byte("version two!"), s3.PutOptions{})
	require.NoError(t, err)
	_, err = c.NewReader(ctx, bucket, "k", 0, 5, s3.ReadOptions{IfMatch: etag})
	require.ErrorIs(t, err, s3.ErrPreconditionFailed)
}

func TestConditionalPut(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	_, err := c.PutObject(ctx, bucket, "once", []byte("first"), s3.PutOptions{IfNoneMatch: true})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, bucket, "once", []byte("second"), s3.PutOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, s3.ErrPreconditionFailed)
	requireObject(t, c, "once", []byte("first"))
}

func requireObject(t *testing.T, c *s3.Client, key string, want []byte) {
	t.Helper()
	r, err := c.NewReader(context.Background(), bucket, key, 0, -1, s3.ReadOptions{})
	require.NoError(t, err)
	defer r.Close()
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "object %s: got %d bytes, want %d, equal: false", key, len(got), len(want))
}

func TestListObjectsPaging(t *testing.T) {
	srv := s3test.Start(t)
	c := newClient(t, srv, func(cfg *s3.Config) { cfg.ListPageSize = 3 })
	ctx := context.Background()
	const objects = 11
	var want []string
	for i := range objects {
		key := fmt.Sprintf("in/part-%02d", i)
		want = append(want, key)
		_, err := c.PutObject(ctx, bucket, key, []byte(key), s3.PutOptions{})
		require.NoError(t, err)
	}
	_, err := c.PutObject(ctx, bucket, "other/x", []byte("x"), s3.PutOptions{})
	require.NoError(t, err)
	list, err := c.ListObjects(ctx, bucket, "in/")
	require.NoError(t, err)
	var got []string
	for _, o := range list {
		got = append(got, o.Key)
		require.Equal(t, int64(len(o.Key)), o.Size)
		require.NotEmpty(t, o.ETag)
	}
	require.Equal(t, want, got)
	empty, err := c.ListObjects(ctx, bucket, "nothing-here/")
	require.NoError(t, err)
	require.Empty(t, empty)
}

func TestMultipartWriterRoundTrip(t *testing.T) {
	srv := s3test.Start(t)
	c := newClient(t, srv, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize })
	ctx := context.Background()
	data := randomBytes(2, 3*s3.MinPartSize+12345)
	w, err := c.NewWriter(ctx, bucket, "out/mr-out-0")
	require.NoError(t, err)
	// Odd write sizes cross part boundaries.
	for rest := data; len(rest) > 0; {
		n := min(len(rest), 777_777)
		_, err := w.Write(rest[:n])
		require.NoError(t, err)
		rest = rest[n:]
	}
	parts, err := c.ListParts(ctx, w.Upload())
	require.NoError(t, err)
	// Full parts are uploaded as they fill; the third may still be in flight.
	require.GreaterOrEqual(t, len(parts), 2, "parts uploaded before Close")
	_, err = c.HeadObject(ctx, bucket, "out/mr-out-0")
	require.ErrorIs(t, err, s3.ErrNoSuchKey, "nothing visible before completion")
	require.NoError(t, w.Close())
	requireObject(t, c, "out/mr-out-0", data)
	uploads, err := c.ListUploads(ctx, bucket, "out/")
	require.NoError(t, err)
	require.Empty(t, uploads)
}

func TestMultipartEmptyObject(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	w, err := c.NewWriter(context.Background(), bucket, "empty")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	info, err := c.HeadObject(context.Background(), bucket, "empty")
	require.NoError(t, err)
	require.Zero(t, info.Size)
}

// finishedUpload writes content to key through a Writer and finishes
// it: the upload is left pending.
func finishedUpload(t *testing.T, c *s3.Client, key, content string) (*s3.Writer, s3.Upload) {
	t.Helper()
	w, err := c.NewWriter(context.Background(), bucket, key)
	require.NoError(t, err)
	_, err = io.WriteString(w, content)
	require.NoError(t, err)
	u, err := w.Finish()
	require.NoError(t, err)
	return w, u
}

func TestFinishThenAbort(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	w, u := finishedUpload(t, c, "out/revoked", "half of an output")
	require.Len(t, u.Parts, 1)
	_, err := w.Write([]byte("more"))
	require.Error(t, err, "write after Finish")
	require.NoError(t, c.AbortUpload(ctx, u))
	_, err = c.CompleteUpload(ctx, u, s3.CompleteOptions{})
	require.ErrorIs(t, err, s3.ErrNoSuchUpload)
	_, err = c.HeadObject(ctx, bucket, "out/revoked")
	require.ErrorIs(t, err, s3.ErrNoSuchKey)
	uploads, err := c.ListUploads(ctx, bucket, "out/")
	require.NoError(t, err)
	require.Empty(t, uploads)
}

// TestConditionalComplete: two attempts upload the same output; the
// first completion with If-None-Match wins, the second gets 412 and its
// upload stays pending until aborted.
func TestConditionalComplete(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	_, first := finishedUpload(t, c, "out/mr-out-1", "attempt one")
	_, second := finishedUpload(t, c, "out/mr-out-1", "attempt two")
	_, err := c.CompleteUpload(ctx, first, s3.CompleteOptions{IfNoneMatch: true})
	require.NoError(t, err)
	_, err = c.CompleteUpload(ctx, second, s3.CompleteOptions{IfNoneMatch: true})
	require.ErrorIs(t, err, s3.ErrPreconditionFailed)
	var s3err *s3.Error
	require.ErrorAs(t, err, &s3err)
	require.Equal(t, 412, s3err.StatusCode)
	requireObject(t, c, "out/mr-out-1", []byte("attempt one"))
	uploads, err := c.ListUploads(ctx, bucket, "out/")
	require.NoError(t, err)
	require.Len(t, uploads, 1)
	require.Equal(t, second.UploadID, uploads[0].UploadID)
	require.NoError(t, c.AbortUpload(ctx, second))
}

func TestListUploadsPaging(t *testing.T) {
	srv := s3test.Start(t)
	c := newClient(t, srv, func(cfg *s3.Config) { cfg.ListPageSize = 2 })
	ctx := context.Background()
	const uploads = 7
	want := map[string]bool{}
	for i := range uploads {
		u, err := c.CreateUpload(ctx, bucket, fmt.Sprintf("job/out-%d", i))
		require.NoError(t, err)
		want[u.UploadID] = true
	}
	_, err := c.CreateUpload(ctx, bucket, "elsewhere/x")
	require.NoError(t, err)
	list, err := c.ListUploads(ctx, bucket, "job/")
	require.NoError(t, err)
	got := map[string]bool{}
	for _, u := range list {
		got[u.UploadID] = true
	}
	require.Equal(t, want, got)
}

func TestListPartsPaging(t *testing.T) {
	srv := s3test.Start(t)
	c := newClient(t, srv, func(cfg *s3.Config) { cfg.ListPageSize = 2 })
	ctx := context.Background()
	u, err := c.CreateUpload(ctx, bucket, "parts")
	require.NoError(t, err)
	const parts = 5
	for i := 1; i <= parts; i++ {
		p, err := c.UploadPart(ctx, u, i, []byte(fmt.Sprintf("part %d", i)))
		require.NoError(t, err)
		u.Parts = append(u.Parts, p)
	}
	got, err := c.ListParts(ctx, u)
	require.NoError(t, err)
	require.Len(t, got, parts)
	for i, p := range got {
		require.Equal(t, i+1, p.Number)
		require.Equal(t, u.Parts[i].ETag, p.ETag)
	}
	require.NoError(t, c.AbortUpload(ctx, u))
}

func TestWrongCredentialsFailAtOnce(t *testing.T) {
	srv := s3test.Start(t)
	attempts := 0
	c := newClient(t, srv, func(cfg *s3.Config) {
		cfg.Credentials.SecretAccessKey = "wrong-secret"
		cfg.Jitter = func(d time.Duration) time.Duration { attempts++; return 0 }
	})
	_, err := c.ListObjects(context.Background(), bucket, "in/")
	require.ErrorIs(t, err, s3.ErrAccessDenied)
	require.ErrorContains(t, err, bucket)
	require.NotContains(t, err.Error(), "wrong-secret")
	require.Zero(t, attempts, "no retry of a 403")

	c = newClient(t, srv, func(cfg *s3.Config) { cfg.Credentials.AccessKeyID = "AKIDNOBODY" })
	_, err = c.ListObjects(context.Background(), bucket, "in/")
	require.ErrorIs(t, err, s3.ErrAccessDenied)
	_, err = c.PutObject(context.Background(), bucket, "k", []byte("x"), s3.PutOptions{})
	require.ErrorIs(t, err, s3.ErrAccessDenied)
}

func TestMissingBucket(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	_, err := c.ListObjects(context.Background(), "no-such-bucket", "in/")
	require.ErrorIs(t, err, s3.ErrNoSuchBucket)
	require.ErrorContains(t, err, "no-such-bucket")
	_, err = c.NewWriter(context.Background(), "no-such-bucket", "k")
	require.ErrorIs(t, err, s3.ErrNoSuchBucket)
}

func TestServerRestartKeepsObjects(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	_, err := c.PutObject(context.Background(), bucket, "durable", []byte("kept"), s3.PutOptions{})
	require.NoError(t, err)
	require.NoError(t, srv.Restart())
	requireObject(t, c, "durable", []byte("kept"))
}

// TestWriterReportsFailedPart: a part upload that fails (here: the
// upload was aborted under the writer) fails a later Write or Finish.
func TestWriterReportsFailedPart(t *testing.T) {
	srv := s3test.Start(t)
	c := newClient(t, srv, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize })
	ctx := context.Background()
	w, err := c.NewWriter(ctx, bucket, "out/lost")
	require.NoError(t, err)
	require.NoError(t, c.AbortUpload(ctx, w.Upload()))
	data := randomBytes(11, 2*s3.MinPartSize)
	_, werr := w.Write(data)
	_, ferr := w.Finish()
	require.ErrorIs(t, errors.Join(werr, ferr), s3.ErrNoSuchUpload)
	require.Error(t, ferr, "Finish reports the failed part")
}
