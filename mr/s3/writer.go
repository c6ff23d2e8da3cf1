package s3

import (
	"context"
	"errors"
	"fmt"
)

// Writer streams an object as a multipart upload: Write fills a buffer
// of one part (Config.PartSize); a full buffer is uploaded in the
// background while Write fills a second one, so memory stays at two
// parts whatever the object's size and the network overlaps the
// producer. Nothing is visible under the key until the upload is
// completed: by Close, or by whoever is handed the upload Finish
// returns. After an error every call fails with it; Abort discards what
// was uploaded. A Writer is for one goroutine.
type Writer struct {
	c      *Client
	ctx    context.Context
	upload Upload
	buf    []byte // being filled
	spare  []byte // free, or being uploaded while inflight is set
	// inflight delivers the result of the part being uploaded; nil when
	// no upload runs.
	inflight chan partResult
	err      error
	done     bool
}

type partResult struct {
	part Part
	err  error
}

// NewWriter starts a multipart upload of key.
func (c *Client) NewWriter(ctx context.Context, bucket, key string) (*Writer, error) {
	u, err := c.CreateUpload(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	return &Writer{c: c, ctx: ctx, upload: u,
		buf: make([]byte, 0, c.cfg.PartSize), spare: make([]byte, 0, c.cfg.PartSize)}, nil
}

// Upload is the upload being written, with the parts uploaded so far.
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

// flush waits for the part in flight, then starts uploading the buffer
// as the next part and takes the freed buffer to fill.
func (w *Writer) flush() error {
	if err := w.wait(); err != nil {
		return err
	}
	number, data := len(w.upload.Parts)+1, w.buf
	results := make(chan partResult, 1)
	go func() {
		part, err := w.c.UploadPart(w.ctx, w.upload, number, data)
		results <- partResult{part, err}
	}()
	w.inflight = results
	w.buf, w.spare = w.spare[:0], data
	return nil
}

// wait collects the part in flight, if any.
func (w *Writer) wait() error {
	if w.inflight == nil {
		return w.err
	}
	res := <-w.inflight
	w.inflight = nil
	if res.err != nil {
		w.err = res.err
		return res.err
	}
	w.upload.Parts = append(w.upload.Parts, res.part)
	return nil
}

// Finish uploads what is buffered as the last part and returns the
// upload, pending: the caller completes (CompleteUpload) or aborts it.
// An empty object is one empty part.
func (w *Writer) Finish() (Upload, error) {
	if w.err != nil {
		return Upload{}, w.err
	}
	if len(w.buf) > 0 || len(w.upload.Parts) == 0 && w.inflight == nil {
		if err := w.flush(); err != nil {
			return Upload{}, err
		}
	}
	if err := w.wait(); err != nil {
		return Upload{}, err
	}
	w.err = errFinished
	return w.upload, nil
}

// Close finishes and completes the upload.
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
	_ = w.wait() // a part in flight lands before the abort, or it could outlive it; its error does not matter
	w.err = errAborted
	return w.c.AbortUpload(w.ctx, w.upload)
}

var (
	errFinished = errors.New("s3: write after Finish or Close")
	errAborted  = errors.New("s3: write after Abort")
)
