package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// ReadOptions are the options of NewReader.
type ReadOptions struct {
	// IfMatch, when set, is the ETag the object must still have (from a
	// listing or HeadObject); otherwise the first reply's ETag is used
	// for every resumed request.
	IfMatch string
}

// Reader streams a byte range of an object (GetObject with Range). When
// the connection drops mid-body it asks again from the first byte not
// yet received, with If-Match on the object's ETag, so a reader never
// mixes two versions of an object: if the object changed, Read fails
// with ErrPreconditionFailed. Consecutive failed tries without a byte of
// progress are bounded by the retry policy's MaxAttempts.
type Reader struct {
	c           *Client
	ctx         context.Context
	bucket, key string
	next, end   int64 // next byte to read; end is one past the last, or -1 for the object's end
	etag        string
	body        io.ReadCloser
	cancel      context.CancelFunc
	failures    int // tries since the last byte received
	err         error
}

// NewReader opens length bytes of an object from offset (length < 0:
// to the end) and returns them as a stream.
func (c *Client) NewReader(ctx context.Context, bucket, key string, offset, length int64, opts ReadOptions) (*Reader, error) {
	if offset < 0 {
		return nil, fmt.Errorf("s3 GetObject s3://%s/%s: negative offset %d", bucket, key, offset)
	}
	end := int64(-1)
	if length >= 0 {
		end = offset + length
	}
	r := &Reader{c: c, ctx: ctx, bucket: bucket, key: key, next: offset, end: end, etag: opts.IfMatch}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, nil
}

// ETag is the ETag of the object being read.
func (r *Reader) ETag() string { return r.etag }

// open sends the GetObject for the bytes not yet read.
func (r *Reader) open() error {
	if r.end >= 0 && r.next >= r.end {
		r.body = http.NoBody
		return nil
	}
	rangeEnd := ""
	if r.end >= 0 {
		rangeEnd = strconv.FormatInt(r.end-1, 10)
	}
	h := http.Header{headerRange: {"bytes=" + strconv.FormatInt(r.next, 10) + "-" + rangeEnd}}
	if r.etag != "" {
		h.Set(headerIfMatch, r.etag)
	}
	resp, cancel, err := r.c.do(r.ctx, &request{op: "GetObject", method: http.MethodGet,
		bucket: r.bucket, key: r.key, header: h, okStatus: http.StatusPartialContent, stream: true})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusPartialContent {
		resp.Body.Close()
		cancel()
		return fmt.Errorf("s3 GetObject s3://%s/%s: status %d for a range request; want 206", r.bucket, r.key, resp.StatusCode)
	}
	if r.etag == "" {
		r.etag = resp.Header.Get(headerETag)
	}
	if total := rangeTotal(resp.Header.Get(headerContentRange)); total >= 0 && (r.end < 0 || r.end > total) {
		r.end = total
	}
	r.body, r.cancel = resp.Body, cancel
	return nil
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	for r.err == nil {
		n, err := r.body.Read(p)
		r.next += int64(n)
		if n > 0 {
			r.failures = 0
		}
		if err == nil || errors.Is(err, io.EOF) && !r.short() {
			return n, err
		}
		if n > 0 {
			return n, nil // the next Read meets the error again and resumes
		}
		r.err = r.resume(err)
	}
	return 0, r.err
}

// short reports whether fewer bytes came than the range asked for.
func (r *Reader) short() bool { return r.end >= 0 && r.next < r.end }

// resume closes the broken body and opens the rest, or says why not.
func (r *Reader) resume(cause error) error {
	r.closeBody()
	if errors.Is(cause, io.EOF) {
		cause = io.ErrUnexpectedEOF
	}
	r.failures++
	if r.failures >= r.c.cfg.Retry.MaxAttempts || r.ctx.Err() != nil {
		return fmt.Errorf("s3 GetObject s3://%s/%s at byte %d: %w", r.bucket, r.key, r.next, cause)
	}
	if err := r.c.cfg.Sleep(r.ctx, r.c.cfg.Jitter(r.c.cfg.Retry.ceiling(r.failures))); err != nil {
		return err
	}
	return r.open()
}

func (r *Reader) closeBody() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
}

// Close releases the connection.
func (r *Reader) Close() error {
	r.closeBody()
	if r.err == nil {
		r.err = errClosed
	}
	return nil
}

// rangeTotal is the object size of a Content-Range "bytes A-B/TOTAL",
// or -1.
func rangeTotal(contentRange string) int64 {
	_, total, ok := strings.Cut(contentRange, "/")
	n, err := strconv.ParseInt(total, 10, 64)
	if !ok || err != nil {
		return -1
	}
	return n
}

var errClosed = errors.New("s3: read after Close")
