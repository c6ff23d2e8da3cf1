package worker

import (
	"bufio"

	"6.5840/mr/protocol"
	"6.5840/mr/s3"
	"6.5840/mr/s3job"
)

// s3SinkBuffer is the buffer between Reduce's small writes and the
// upload's parts.
const s3SinkBuffer = 64 << 10

// s3Sink is a reduceSink streaming to a multipart upload: parts are sent
// as they fill (s3.Writer), and Commit finishes the upload without
// completing it, leaving it pending for the coordinator.
type s3Sink struct {
	*bufio.Writer
	w *s3.Writer
	// pending is the finished upload, once Commit returned nil.
	pending *protocol.Upload
}

func newS3Sink(w *s3.Writer) *s3Sink {
	return &s3Sink{Writer: bufio.NewWriterSize(w, s3SinkBuffer), w: w}
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

// Abort discards the upload; an abort that fails leaves it to the
// coordinator's sweep at the end of the job.
func (s *s3Sink) Abort() { s.w.Abort() }
