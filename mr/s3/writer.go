package s3

import (
	"context"
	"errors"
	"fmt"
)

// Writer streams an object as a multipart upload: Write fills a buffer
// of one part (Config.PartSize) and uploads it when full, so memory
// stays at one part whatever the object's size. Nothing is visible
// under the key until the upload is completed: by Close, or by whoever
// is handed the upload Finish returns. After an error every call fails
// with it; Abort discards what was uploaded.
type Writer struct {
	c      *Client
	ctx    context.Context
	upload Upload
	buf    []byte
	err    error
	done   bool
}

// NewWriter starts a multipart upload of key.
func (c *Client) NewWriter(ctx context.Context, bucket, key string) (*Writer, error) {
	u, err := c.CreateUpload(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return &Writer{c: c, ctx: ctx, upload: u, buf: make([]byte, 0, c.cfg.PartSize)}, nil
}

// Upload is the upload being written (its parts so far).
func (w *Writer) Upload() Upload { return w.upload }

// Write implements io.Writer.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:n]...)
		p, written = p[n:], written+n
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return written, err
			}
		}
	}
	return written, nil
}

// flush uploads the buffer as the next part.
func (w *Writer) flush() error {
	part, err := w.c.UploadPart(w.ctx, w.upload, len(w.upload.Parts)+1, w.buf)
	if err != nil {
		w.err = err
		return err
	}
	w.upload.Parts = append(w.upload.Parts, part)
	w.buf = w.buf[:0]
	return nil
}

// Finish uploads what is buffered as the last part and returns the
// upload, pending: the caller completes (CompleteUpload) or aborts it.
// An empty object is one empty part.
func (w *Writer) Finish() (Upload, error) {
	if w.err != nil {
		return Upload{}, w.err
	}
	if len(w.buf) > 0 || len(w.upload.Parts) == 0 {
		if err := w.flush(); err != nil {
			return Upload{}, err
		}
	}
	w.err = errFinished
	return w.upload, nil
}

// Close finishes and completes the upload, with opts.
func (w *Writer) Close() error { return w.CloseWith(CompleteOptions{}) }

// CloseWith finishes and completes the upload with opts (IfNoneMatch
// for a conditional create). If the completion fails the upload is
// left pending: Abort it.
func (w *Writer) CloseWith(opts CompleteOptions) error {
	u, err := w.Finish()
	if err != nil {
		return err
	}
	if _, err := w.c.CompleteUpload(w.ctx, u, opts); err != nil {
		return fmt.Errorf("complete %s: %w", Location{Bucket: u.Bucket, Key: u.Key}, err)
	}
	w.done = true
	return nil
}

// Abort discards the upload and its parts, unless Close completed it.
func (w *Writer) Abort() error {
	if w.done {
		return nil
	}
	w.err = errAborted
	return w.c.AbortUpload(w.ctx, w.upload)
}

var (
	errFinished = errors.New("s3: write after Finish or Close")
	errAborted  = errors.New("s3: write after Abort")
)
