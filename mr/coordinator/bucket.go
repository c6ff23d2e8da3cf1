package coordinator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/s3job"
	"6.5840/mr/task"
)

// A job's outputs in a bucket (Config.Output) are committed without a
// rename (see s3job.Output): a reducer leaves its output as a pending
// upload of the final key and reports it; the committer completes the
// committed attempt's upload, conditionally, before it journals the
// commit with the object's size and ETag; every other reported upload is
// aborted when its report is judged, and at the end of the job every
// upload of the job's keys still pending (a reducer that died before
// reporting) is aborted too.
//
// Before it completes an upload, the committer journals (synced) that it
// is completing that reduce attempt's output; after, the commit with the
// object's size and ETag. A coordinator that dies between the two leaves
// an object that no commit line names, but that a completing line does:
// a resumed job removes such an object (its reduce task runs again), and
// refuses to start beside an output object that no line of its journal
// names at all, another job's. A fresh job refuses a prefix that holds
// outputs already. A committed output is kept only if it is there with
// the size and ETag its commit recorded ("resume trusts the disk");
// otherwise it is removed and its reduce task runs again. So no object is
// ever kept that the journal does not vouch for, and none removed that
// the job did not write.

// bucketCtx is the context of the coordinator's requests to the bucket:
// each request has its own deadline and retries (s3.Config).
var bucketCtx = context.Background()

// openOutput returns the job's output prefix in a bucket, checked
// writable, or nil for an output in the job folder.
func openOutput(ctx context.Context, cfg Config) (*s3job.Output, error) {
	if cfg.Output == "" {
		return nil, nil
	}
	out, err := s3job.ParseOutput(cfg.S3, cfg.Output)
	if err != nil {
		return nil, err
	}
	if err := out.CheckWritable(ctx); err != nil {
		return nil, err
	}
	return &out, nil
}

// checkBucketOutputs is checkOutputs for outputs in a bucket: it keeps the
// commits whose objects are there as committed, and removes the objects
// of reduce tasks no kept commit names. On a fresh start (not resumed)
// every output object found is another job's, and the job refuses to
// start rather than remove or be refused by it; on a resumed one an
// object is removed only if a line of the journal, a commit or completing,
// names its reduce task, and otherwise refused too. It does nothing for
// outputs in the job folder.
func (c *Coordinator) checkBucketOutputs(commits []journal.Commit, resumed bool, completing []task.AttemptID) ([]journal.Commit, error) {
	if c.output == nil {
		return commits, nil
	}
	found, beyond, err := c.output.Existing(bucketCtx, c.cfg.NReduce)
	if err != nil {
		return nil, err
	}
	if !resumed && (len(found) > 0 || len(beyond) > 0) {
		var names []string
		for r := range found {
			names = append(names, c.output.Name(r))
		}
		for _, key := range beyond {
			names = append(names, "s3://"+c.output.Bucket()+"/"+key)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("-output %s holds outputs of another job: %s; remove them or choose another prefix",
			c.output, strings.Join(names, ", "))
	}
	kept := commits[:0:0]
	vouched := make(map[int]bool)
	ours := make(map[int]bool)
	for _, id := range completing {
		ours[id.Task.Index] = true
	}
	for _, commit := range commits {
		if commit.Attempt.Task.Kind == task.Reduce {
			ours[commit.Attempt.Task.Index] = true
		}
	}
	var foreign []string
	for r := range found {
		if !ours[r] {
			foreign = append(foreign, c.output.Name(r))
		}
	}
	if len(foreign) > 0 {
		sort.Strings(foreign)
		return nil, fmt.Errorf("-output %s holds %s, which no line of %s says this job wrote: "+
			"remove them, or remove %s to start the job afresh", c.output, strings.Join(foreign, ", "), jobfiles.Journal, jobfiles.Journal)
	}
	for _, commit := range commits {
		id := commit.Attempt
		if id.Task.Kind != task.Reduce {
			kept = append(kept, commit)
			continue
		}
		obj, ok := found[id.Task.Index]
		if ok && obj.Size == commit.Size && obj.ETag == commit.ETag {
			kept = append(kept, commit)
			vouched[id.Task.Index] = true
			continue
		}
		why := "missing"
		if ok {
			why = fmt.Sprintf("%d bytes with ETag %s, committed as %d bytes with %s", obj.Size, obj.ETag, commit.Size, commit.ETag)
		}
		c.log.Warn("committed output is missing or damaged; its reduce task runs again", "attempt", id,
			"output", c.output.Name(id.Task.Index), "found", why)
	}
	var errs []error
	for r := range found {
		if vouched[r] {
			continue
		}
		c.log.Warn("removing an output no commit of the journal vouches for; its reduce task runs again", "output", c.output.Name(r))
		errs = append(errs, c.output.Remove(bucketCtx, r))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return kept, nil
}

// freshStart reports whether the job starts afresh rather than resumes:
// it keeps no journal, or has none yet.
func (c *Coordinator) freshStart() (bool, error) {
	if c.cfg.NoJournal {
		return true, nil
	}
	_, err := os.Stat(filepath.Join(c.cfg.Dir, jobfiles.Journal))
	switch {
	case errors.Is(err, os.ErrNotExist):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("journal: %w", err)
	}
	return false, nil
}

// publishUpload completes reduce attempt id's reported upload as the
// task's output and returns the object's size and ETag, for the journal.
func (cm *committer) publishUpload(id task.AttemptID, u *protocol.Upload) (int64, string, error) {
	if u == nil {
		return 0, "", fmt.Errorf("commit %v: the report carries no upload of the output (is the worker older than the coordinator?)", id)
	}
	if cm.journal != nil {
		if err := cm.journal.Completing(id); err != nil {
			return 0, "", fmt.Errorf("%w: %w", errJournal, err)
		}
	}
	info, err := cm.output.Complete(bucketCtx, *u, id.Task.Index)
	if err != nil {
		return 0, "", fmt.Errorf("commit %v: %w", id, err)
	}
	return info.Size, info.ETag, nil
}

// abortReported aborts the upload a report carries, unless its attempt
// committed: a failed, revoked, superseded or rejected attempt's output
// never becomes visible.
func (c *Coordinator) abortReported(args *protocol.ReportArgs, committed bool) {
	if args.Upload == nil || committed || c.output == nil || args.Attempt.Task.Kind != task.Reduce {
		return
	}
	if err := c.output.Abort(bucketCtx, *args.Upload, args.Attempt.Task.Index); err != nil {
		c.log.Warn("abort upload of an attempt that did not commit", "attempt", args.Attempt, "err", err)
		return
	}
	c.log.Info("upload aborted: attempt did not commit", "attempt", args.Attempt, "key", args.Upload.Key)
}

// cleanUpBucket aborts the job's uploads still pending and, after a
// failure, removes the outputs the job published, so that the prefix never
// shows part of an answer: a resumed job runs those reduce tasks again
// (an object store cannot hide an object by renaming it).
func (c *Coordinator) cleanUpBucket(end ending) error {
	if c.output == nil {
		return nil
	}
	var errs []error
	if end.failure != nil {
		for _, id := range end.committedReduces {
			errs = append(errs, c.output.Remove(bucketCtx, id.Task.Index))
		}
	}
	n, err := c.output.Sweep(bucketCtx, c.cfg.NReduce)
	if n > 0 {
		c.log.Info("aborted pending uploads left by attempts that did not commit", "uploads", n, "output", c.output.String())
	}
	errs = append(errs, err)
	return errors.Join(errs...)
}
