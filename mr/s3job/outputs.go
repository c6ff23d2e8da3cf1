package s3job

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
	"6.5840/mr/s3"
)

// Output is a job's output prefix in a bucket: reduce task R's output is
// the object PREFIX/mr-out-R.
//
// Object stores have no atomic rename, so a reduce output is committed
// without one. A reduce attempt streams its output to the final key as a
// multipart upload that it does not complete: the upload is invisible
// until completed. It reports the upload; the coordinator completes the
// committed attempt's (Complete, with If-None-Match: * so that a second
// completion of the key fails rather than replaces it), and aborts every
// other attempt's (Abort); at the end of the job it aborts whatever
// uploads of the job's keys remain (Sweep): those of attempts whose
// worker died before reporting.
type Output struct {
	c   *s3.Client
	loc s3.Location
}

// ParseOutput returns the output prefix name (s3://BUCKET/PREFIX/, the
// trailing slash required; s3://BUCKET/ for the bucket's top) read and
// written through c.
func ParseOutput(c *s3.Client, name string) (Output, error) {
	loc, err := s3.ParseLocation(name)
	if err != nil {
		return Output{}, fmt.Errorf("-output %s: %w", name, err)
	}
	if !loc.IsPrefix() {
		return Output{}, fmt.Errorf("-output %s: not a prefix: end it with a slash (s3://BUCKET/PREFIX/)", name)
	}
	return Output{c: c, loc: loc}, nil
}

// String returns the prefix's location.
func (o Output) String() string { return o.loc.String() }

// Bucket returns the prefix's bucket.
func (o Output) Bucket() string { return o.loc.Bucket }

// Key returns the key of reduce task r's output.
func (o Output) Key(r int) string { return o.loc.Key + jobfiles.Output(r) }

// Name returns the location of reduce task r's output.
func (o Output) Name(r int) string { return s3.Location{Bucket: o.loc.Bucket, Key: o.Key(r)}.String() }

// reduceOf returns the reduce task whose output key is key, if any below
// nReduce.
func (o Output) reduceOf(key string, nReduce int) (int, bool) {
	rest, ok := strings.CutPrefix(key, o.loc.Key)
	if !ok || strings.Contains(rest, "/") {
		return 0, false
	}
	r, ok := jobfiles.OutputIndex(rest)
	return r, ok && r < nReduce
}

// CheckWritable makes sure the job may write under the prefix before any
// task runs: it creates and aborts an upload of reduce task 0's key, so
// that bad credentials, a missing bucket or a missing permission fail at
// the start, naming the bucket, rather than at the first commit.
func (o Output) CheckWritable(ctx context.Context) error {
	u, err := o.c.CreateUpload(ctx, o.loc.Bucket, o.Key(0))
	if err != nil {
		return fmt.Errorf("-output %s: cannot write there: %w", o, err)
	}
	if err := o.c.AbortUpload(ctx, u); err != nil {
		return fmt.Errorf("-output %s: cannot abort an upload there: %w", o, err)
	}
	return nil
}

// Existing returns the outputs of reduce tasks below nReduce found under
// the prefix, by reduce task, and the keys of outputs of reduce tasks
// past it.
func (o Output) Existing(ctx context.Context, nReduce int) (map[int]s3.ObjectInfo, []string, error) {
	listed, err := o.c.ListObjects(ctx, o.loc.Bucket, o.loc.Key+jobfiles.OutputPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("-output %s: %w", o, err)
	}
	found := make(map[int]s3.ObjectInfo)
	var beyond []string
	for _, obj := range listed {
		if r, ok := o.reduceOf(obj.Key, nReduce); ok {
			found[r] = obj
			continue
		}
		rest := strings.TrimPrefix(obj.Key, o.loc.Key)
		if _, ok := jobfiles.OutputIndex(rest); ok && !strings.Contains(rest, "/") {
			beyond = append(beyond, obj.Key)
		}
	}
	return found, beyond, nil
}

// ErrWrongUpload marks an upload that is not of the reduce output it is
// reported for.
var ErrWrongUpload = errors.New("upload is not of the task's output")

// upload returns u as the client's, if it is an upload of reduce task
// r's output.
func (o Output) upload(u protocol.Upload, r int) (s3.Upload, error) {
	if u.Bucket != o.loc.Bucket || u.Key != o.Key(r) || u.UploadID == "" {
		return s3.Upload{}, fmt.Errorf("%w: s3://%s/%s, want %s", ErrWrongUpload, u.Bucket, u.Key, o.Name(r))
	}
	su := s3.Upload{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Parts: make([]s3.Part, len(u.Parts))}
	for i, p := range u.Parts {
		su.Parts[i] = s3.Part{Number: p.Number, ETag: p.ETag, Size: p.Size}
	}
	return su, nil
}

// Complete makes u, reduce task r's pending upload, its output, unless
// the key exists already (If-None-Match: *), and returns the object's
// size and ETag as the server has them. A completion that fails because
// the upload is gone or the key taken, but finds the key holding exactly
// u's parts (the multipart ETag of their MD5s), succeeds: an earlier try
// of it completed the upload and its reply was lost.
func (o Output) Complete(ctx context.Context, u protocol.Upload, r int) (s3.ObjectInfo, error) {
	su, err := o.upload(u, r)
	if err != nil {
		return s3.ObjectInfo{}, err
	}
	_, err = o.c.CompleteUpload(ctx, su, s3.CompleteOptions{IfNoneMatch: true})
	if err != nil && !errors.Is(err, s3.ErrNoSuchUpload) && !errors.Is(err, s3.ErrPreconditionFailed) {
		return s3.ObjectInfo{}, fmt.Errorf("complete %s: %w", o.Name(r), err)
	}
	info, headErr := o.c.HeadObject(ctx, su.Bucket, su.Key)
	switch {
	case err != nil && headErr == nil && info.ETag == multipartETag(u.Parts):
		// The upload is gone, or the key taken, by this very upload: a
		// try whose reply was lost completed it, and the client's retry
		// found it done. The object is these parts.
		return info, nil
	case err != nil:
		return s3.ObjectInfo{}, fmt.Errorf("complete %s: %w", o.Name(r), err)
	case headErr != nil:
		return s3.ObjectInfo{}, fmt.Errorf("completed %s: %w", o.Name(r), headErr)
	}
	return info, nil
}

// multipartETag returns the ETag that S3 gives the object made of parts:
// the MD5 of their MD5s, a dash and their count, quoted. It returns ""
// if a part's ETag is not an MD5 (a server that makes ETags otherwise),
// which no object's ETag equals.
func multipartETag(parts []protocol.UploadPart) string {
	h := md5.New()
	for _, p := range parts {
		sum, err := hex.DecodeString(strings.Trim(p.ETag, `"`))
		if err != nil || len(sum) != md5.Size {
			return ""
		}
		h.Write(sum)
	}
	return fmt.Sprintf(`"%x-%d"`, h.Sum(nil), len(parts))
}

// Abort discards u, a pending upload of reduce task r's output; one
// already gone (aborted, or completed) is no error.
func (o Output) Abort(ctx context.Context, u protocol.Upload, r int) error {
	su, err := o.upload(u, r)
	if err != nil {
		return err
	}
	if err := o.c.AbortUpload(ctx, su); err != nil && !errors.Is(err, s3.ErrNoSuchUpload) {
		return fmt.Errorf("abort upload of %s: %w", o.Name(r), err)
	}
	return nil
}

// Sweep aborts every pending upload of the outputs of reduce tasks below
// nReduce, and returns how many it aborted. Uploads of other keys are
// not the job's and stay.
func (o Output) Sweep(ctx context.Context, nReduce int) (int, error) {
	pending, err := o.c.ListUploads(ctx, o.loc.Bucket, o.loc.Key+jobfiles.OutputPrefix)
	if err != nil {
		return 0, fmt.Errorf("list pending uploads under %s: %w", o, err)
	}
	var errs []error
	n := 0
	for _, p := range pending {
		if _, ok := o.reduceOf(p.Key, nReduce); !ok {
			continue
		}
		err := o.c.AbortUpload(ctx, s3.Upload{Bucket: o.loc.Bucket, Key: p.Key, UploadID: p.UploadID})
		switch {
		case err == nil:
			n++
		case !errors.Is(err, s3.ErrNoSuchUpload):
			errs = append(errs, fmt.Errorf("abort upload of s3://%s/%s: %w", o.loc.Bucket, p.Key, err))
		}
	}
	return n, errors.Join(errs...)
}

// Remove deletes reduce task r's output.
func (o Output) Remove(ctx context.Context, r int) error {
	if err := o.c.DeleteObject(ctx, o.loc.Bucket, o.Key(r)); err != nil && !errors.Is(err, s3.ErrNoSuchKey) {
		return fmt.Errorf("remove %s: %w", o.Name(r), err)
	}
	return nil
}

// Create starts reduce task r's output as an upload that w streams; the
// caller Finishes it into the upload it reports, or Aborts it.
func (o Output) Create(ctx context.Context, r int) (*s3.Writer, error) {
	w, err := o.c.NewWriter(ctx, o.loc.Bucket, o.Key(r))
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", o.Name(r), err)
	}
	return w, nil
}

// Pending returns u as the protocol reports it.
func Pending(u s3.Upload) *protocol.Upload {
	p := &protocol.Upload{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID, Parts: make([]protocol.UploadPart, len(u.Parts))}
	for i, part := range u.Parts {
		p.Parts[i] = protocol.UploadPart{Number: part.Number, ETag: part.ETag, Size: part.Size}
	}
	return p
}
