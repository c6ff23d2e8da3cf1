package s3job

import (
	"context"
	"errors"
	"fmt"
	"io"

	"6.5840/mr/s3"
)

// OpenInput returns the object at name (s3://BUCKET/KEY) as an
// io.ReaderAt and its size. With etag set (the ETag planning saw) the
// object must still have it, and every read asks for it (If-Match): an
// object replaced since is an error naming it, never a mix of versions.
func OpenInput(ctx context.Context, c *s3.Client, name, etag string) (io.ReaderAt, int64, error) {
	loc, err := s3.ParseLocation(name)
	if err != nil {
		return nil, 0, err
	}
	info, err := c.HeadObject(ctx, loc.Bucket, loc.Key)
	if err != nil {
		return nil, 0, err // names the object
	}
	if etag != "" && info.ETag != etag {
		return nil, 0, fmt.Errorf("input %s: %w: the object changed since the job listed it (ETag %s, listed as %s)",
			name, s3.ErrPreconditionFailed, info.ETag, etag)
	}
	return &objectReader{ctx: ctx, c: c, loc: loc, etag: info.ETag, size: info.Size}, info.Size, nil
}

// objectReader reads byte ranges of one version of an object, one
// ranged GET per ReadAt.
type objectReader struct {
	ctx  context.Context
	c    *s3.Client
	loc  s3.Location
	etag string
	size int64
}

// ReadAt reads len(p) bytes from off, fewer (with io.EOF) at the end of
// the object.
func (r *objectReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	if want == 0 {
		return 0, nil
	}
	body, err := r.c.NewReader(r.ctx, r.loc.Bucket, r.loc.Key, off, want, s3.ReadOptions{IfMatch: r.etag})
	if err != nil {
		return 0, fmt.Errorf("input %s: %w", r.loc, err)
	}
	defer body.Close()
	n, err := io.ReadFull(body, p[:want])
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("input %s: %d of %d bytes at %d: %w", r.loc, n, want, off, err)
		}
		return n, err
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}
