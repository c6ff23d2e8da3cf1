package worker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"6.5840/mr/protocol"
	"6.5840/mr/s3"
)

// s3Client is the worker's client of the job's bucket: Config.S3, or one
// made from the environment the first time a task needs it, so that a
// job without a bucket needs no credentials.
type s3Client struct {
	once   sync.Once
	client *s3.Client
	err    error
}

// bucket returns the worker's client of the job's bucket.
func (w *Worker) bucket() (*s3.Client, error) {
	w.s3.once.Do(func() {
		if w.cfg.S3 != nil {
			w.s3.client = w.cfg.S3
			return
		}
		cfg, err := s3.FromEnv(os.Getenv)
		if err == nil {
			w.s3.client, err = s3.New(cfg)
		}
		if err != nil {
			w.s3.err = fmt.Errorf("s3 client from the environment: %w", err)
		}
	})
	return w.s3.client, w.s3.err
}

// abortUpload aborts an abandoned attempt's pending upload, if it has
// one. A failure is logged: the coordinator's sweep at the end of the
// job aborts whatever is left.
func (w *Worker) abortUpload(u *protocol.Upload) {
	if u == nil {
		return
	}
	c, err := w.bucket()
	if err == nil {
		err = c.AbortUpload(context.Background(), s3.Upload{Bucket: u.Bucket, Key: u.Key, UploadID: u.UploadID})
	}
	if err != nil && !errors.Is(err, s3.ErrNoSuchUpload) {
		w.log.Warn("abort upload of an abandoned attempt", "key", u.Key, "err", err)
	}
}
