package worker

import (
	"bufio"
	"context"
	"time"

	"6.5840/mr/protocol"
	"6.5840/mr/s3"
	"6.5840/mr/s3job"
)

const (
	// s3SinkBuffer is the buffer between Reduce's small writes and the
	// upload's parts.
	s3SinkBuffer = 64 << 10
	// s3AbortTimeout bounds a second try to abort the upload of an
	// attempt whose context ended (it was revoked), well under the
	// worker's StuckGrace: the coordinator's sweep aborts it otherwise.
	s3AbortTimeout = 2 * time.Second
)

// s3Sink is a reduceSink streaming to a multipart upload: parts are sent
// as they fill (s3.Writer), and Commit finishes the upload without
// completing it, leaving it pending for the coordinator.
type s3Sink struct {
	*bufio.Writer
	w *s3.Writer
	// out and reduce name the output, for an abort after the attempt's
	// context ended.
	out    s3job.Output
	reduce int
	// pending is the finished upload, once Commit returned nil.
	pending *protocol.Upload
}

func newS3Sink(w *s3.Writer, out s3job.Output, reduce int) *s3Sink {
	return &s3Sink{Writer: bufio.NewWriterSize(w, s3SinkBuffer), w: w, out: out, reduce: reduce}
}

// Commit sends what is buffered and finishes the upload, pending.
func (s *s3Sink) Commit() error {
	if err := s.Flush(); err != nil {
		return err
	}
	u, err := s.w.Finish()
	if err != nil {
		return err
	}
	s.pending = s3job.Pending(u)
	return nil
}

// Abort discards the upload. The writer aborts with the attempt's
// context; if that ended (the attempt was revoked), Abort tries once more
// under s3AbortTimeout. An abort that fails leaves the upload to the
// coordinator's sweep at the end of the job.
func (s *s3Sink) Abort() {
	if err := s.w.Abort(); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s3AbortTimeout)
	defer cancel()
	s.out.Abort(ctx, *s3job.Pending(s.w.Upload()), s.reduce)
}
