package s3job_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
	"6.5840/mr/s3job"
)

const bucket = s3test.Bucket

func put(t *testing.T, c *s3.Client, key, data string) {
	t.Helper()
	_, err := c.PutObject(context.Background(), bucket, key, []byte(data), s3.PutOptions{})
	require.NoError(t, err)
}

func TestObjectsOfAPrefixArePagedAndSkipFolderMarkers(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config()
	cfg.ListPageSize = 2
	c, err := s3.New(cfg)
	require.NoError(t, err)
	for i := range 5 {
		put(t, c, fmt.Sprintf("in/part-%d", i), strings.Repeat("x", i))
	}
	put(t, c, "in/", "")
	put(t, c, "other/a", "a")

	objects, err := s3job.Objects(context.Background(), c, "s3://"+bucket+"/in/")
	require.NoError(t, err)
	require.Len(t, objects, 5, "every object under the prefix, over three pages, without the folder marker")
	for i, o := range objects {
		require.Equal(t, fmt.Sprintf("s3://%s/in/part-%d", bucket, i), o.Name)
		require.Equal(t, int64(i), o.Size)
		require.NotEmpty(t, o.ETag)
	}

	one, err := s3job.Objects(context.Background(), c, "s3://"+bucket+"/other/a")
	require.NoError(t, err)
	require.Equal(t, []s3job.Object{{Name: "s3://" + bucket + "/other/a", Size: 1, ETag: one[0].ETag}}, one)
}

func TestObjectsErrorsNameTheInput(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	_, err := s3job.Objects(ctx, c, "s3://"+bucket+"/empty/")
	require.ErrorContains(t, err, "input s3://"+bucket+"/empty/: no objects under the prefix")
	_, err = s3job.Objects(ctx, c, "s3://"+bucket+"/missing")
	require.ErrorIs(t, err, s3.ErrNoSuchKey)
	require.ErrorContains(t, err, "s3://"+bucket+"/missing")
	_, err = s3job.Objects(ctx, c, "s3://no-such-bucket/in/")
	require.ErrorIs(t, err, s3.ErrNoSuchBucket)
	require.ErrorContains(t, err, "no-such-bucket")

	cfg := srv.Config()
	cfg.Credentials.SecretAccessKey = "wrong" + cfg.Credentials.SecretAccessKey
	bad, err := s3.New(cfg)
	require.NoError(t, err)
	_, err = s3job.Objects(ctx, bad, "s3://"+bucket+"/in/")
	require.ErrorIs(t, err, s3.ErrAccessDenied)
	require.ErrorContains(t, err, bucket)
	require.NotContains(t, err.Error(), cfg.Credentials.SecretAccessKey)
}

func TestOpenInputReadsRangesOfTheListedVersion(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	data := strings.Repeat("0123456789", 100)
	put(t, c, "in/a", data)
	objects, err := s3job.Objects(ctx, c, "s3://"+bucket+"/in/a")
	require.NoError(t, err)

	r, size, err := s3job.OpenInput(ctx, c, objects[0].Name, objects[0].ETag)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), size)
	got, err := io.ReadAll(io.NewSectionReader(r, 15, 30))
	require.NoError(t, err)
	require.Equal(t, data[15:45], string(got))
	buf := make([]byte, 20)
	n, err := r.ReadAt(buf, size-5)
	require.Equal(t, 5, n)
	require.ErrorIs(t, err, io.EOF, "a read past the end is short, with io.EOF")
	require.Equal(t, data[len(data)-5:], string(buf[:n]))

	put(t, c, "in/a", "replaced")
	_, _, err = s3job.OpenInput(ctx, c, objects[0].Name, objects[0].ETag)
	require.ErrorIs(t, err, s3.ErrPreconditionFailed, "an object replaced since the listing")
	require.ErrorContains(t, err, objects[0].Name)
	_, err = r.ReadAt(buf, 0)
	require.ErrorIs(t, err, s3.ErrPreconditionFailed, "an open input never reads another version")

	require.NoError(t, c.DeleteObject(ctx, bucket, "in/a"))
	_, _, err = s3job.OpenInput(ctx, c, objects[0].Name, objects[0].ETag)
	require.ErrorIs(t, err, s3.ErrNoSuchKey, "an object deleted since the listing")
}

func TestSplitCarriesTheETag(t *testing.T) {
	o := s3job.Object{Name: "s3://b/k", Size: 100, ETag: `"e"`}
	inputs := o.Split(40)
	require.Len(t, inputs, 3)
	for _, in := range inputs {
		require.Equal(t, `"e"`, in.ETag)
		require.Equal(t, "s3://b/k", in.Path)
	}
	require.Equal(t, int64(-1), o.Split(0)[0].Length)
}

// finishedUpload streams data to reduce task r's key and leaves the
// upload pending, as a reducer does.
func finishedUpload(t *testing.T, out s3job.Output, r int, data string) s3.Upload {
	t.Helper()
	w, err := out.Create(context.Background(), r)
	require.NoError(t, err)
	_, err = io.Copy(w, strings.NewReader(data))
	require.NoError(t, err)
	u, err := w.Finish()
	require.NoError(t, err)
	return u
}

func TestOutputCommitsOnceAndAbortsTheRest(t *testing.T) {
	srv := s3test.Start(t)
	c := srv.Client(t)
	ctx := context.Background()
	out, err := s3job.ParseOutput(c, "s3://"+bucket+"/job/out/")
	require.NoError(t, err)
	require.NoError(t, out.CheckWritable(ctx))
	require.Equal(t, "job/out/mr-out-3", out.Key(3))

	first := finishedUpload(t, out, 3, "first attempt\n")
	second := finishedUpload(t, out, 3, "second attempt, longer\n")
	stray := finishedUpload(t, out, 4, "never reported\n")
	_, err = c.HeadObject(ctx, bucket, out.Key(3))
	require.ErrorIs(t, err, s3.ErrNoSuchKey, "a pending upload is invisible")

	info, err := out.Complete(ctx, *s3job.Pending(first), 3)
	require.NoError(t, err)
	require.Equal(t, int64(len("first attempt\n")), info.Size)

	_, err = out.Complete(ctx, *s3job.Pending(second), 3)
	require.ErrorIs(t, err, s3.ErrPreconditionFailed, "a second completion never replaces the committed output")
	require.NoError(t, out.Abort(ctx, *s3job.Pending(second), 3))
	require.NoError(t, out.Abort(ctx, *s3job.Pending(first), 3), "aborting a completed upload is no error")

	wrong := *s3job.Pending(stray)
	_, err = out.Complete(ctx, wrong, 3)
	require.ErrorIs(t, err, s3job.ErrWrongUpload, "an upload of another task's key is refused")

	r, err := c.NewReader(ctx, bucket, out.Key(3), 0, -1, s3.ReadOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.Equal(t, "first attempt\n", string(got), "the committed attempt's output, whole")

	// Another job's upload under the prefix, of a key not the job's.
	foreign, err := c.CreateUpload(ctx, bucket, "job/out/notes.txt")
	require.NoError(t, err)
	n, err := out.Sweep(ctx, 10)
	require.NoError(t, err)
	require.Equal(t, 1, n, "the one stray upload of the job's keys")
	pending, err := c.ListUploads(ctx, bucket, "job/out/")
	require.NoError(t, err)
	require.Len(t, pending, 1)
	require.Equal(t, foreign.UploadID, pending[0].UploadID, "uploads of other keys stay")
	require.NoError(t, c.AbortUpload(ctx, foreign))

	found, beyond, err := out.Existing(ctx, 4)
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, info.ETag, found[3].ETag)
	require.Empty(t, beyond)
	found, beyond, err = out.Existing(ctx, 3)
	require.NoError(t, err)
	require.Empty(t, found)
	require.Equal(t, []string{"job/out/mr-out-3"}, beyond)

	require.NoError(t, out.Remove(ctx, 3))
	require.NoError(t, out.Remove(ctx, 3), "removing a missing output is no error")
}

func TestCompletionWhoseReplyWasLostSucceeds(t *testing.T) {
	srv := s3test.Start(t)
	cfg := srv.Config()
	cfg.PartSize = s3.MinPartSize
	c, err := s3.New(cfg)
	require.NoError(t, err)
	ctx := context.Background()
	out, err := s3job.ParseOutput(c, "s3://"+bucket+"/job/")
	require.NoError(t, err)
	u := finishedUpload(t, out, 1, strings.Repeat("two parts ", s3.MinPartSize/5))
	require.Len(t, u.Parts, 2)
	// The first try completed the upload; its reply never came back.
	done, err := c.CompleteUpload(ctx, u, s3.CompleteOptions{IfNoneMatch: true})
	require.NoError(t, err)
	info, err := out.Complete(ctx, *s3job.Pending(u), 1)
	require.NoError(t, err, "the object is these very parts")
	require.Equal(t, done, info.ETag)

	other := finishedUpload(t, out, 1, "another attempt's output\n")
	_, err = out.Complete(ctx, *s3job.Pending(other), 1)
	require.ErrorIs(t, err, s3.ErrPreconditionFailed, "another upload never passes for the one completed")
	require.NoError(t, out.Abort(ctx, *s3job.Pending(other), 1))
}

func TestOutputChecksFailNamingTheBucket(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	_, err := s3job.ParseOutput(srv.Client(t), "s3://"+bucket+"/no-slash")
	require.ErrorContains(t, err, "not a prefix")

	missing, err := s3job.ParseOutput(srv.Client(t), "s3://no-such-bucket/out/")
	require.NoError(t, err)
	err = missing.CheckWritable(ctx)
	require.ErrorIs(t, err, s3.ErrNoSuchBucket)
	require.ErrorContains(t, err, "no-such-bucket")

	cfg := srv.Config()
	cfg.Credentials.AccessKeyID = "AKIDUNKNOWN"
	bad, err := s3.New(cfg)
	require.NoError(t, err)
	out, err := s3job.ParseOutput(bad, "s3://"+bucket+"/out/")
	require.NoError(t, err)
	err = out.CheckWritable(ctx)
	require.ErrorIs(t, err, s3.ErrAccessDenied)
	require.ErrorContains(t, err, "s3://"+bucket+"/out/")
	require.False(t, bytes.Contains([]byte(err.Error()), []byte(cfg.Credentials.SecretAccessKey)))
}
