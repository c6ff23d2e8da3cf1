package coordinator

import (
	"errors"
	"fmt"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// Abort ends the job as failed with err (the coordinator was told to
// stop, say), unless it is already over: Finish then keeps what was
// committed, for the same command to resume.
func (c *Coordinator) Abort(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.table.Over() {
		return
	}
	c.table.Abort(err)
	c.logFailureLocked()
	c.notifyLocked()
}

// Finish cleans up after a job that is over, following the list of
// attempts the job began (in this start and, from the journal, earlier
// ones), never a file name pattern: a file no attempt of this job wrote is
// never removed. It returns the job's error.
//
// After a success it removes every file of those attempts (map outputs,
// scratch files, staged outputs), unless KeepScratch, so that only
// mr-out-* remain, and then the journal.
//
// A failed job destroys no committed work: it keeps the journal and the
// map outputs of committed map tasks, moves the committed mr-out-R files
// aside (to their attempts' staged names), and removes the rest. Running
// the same command again resumes the job. Without a journal nothing could
// resume it, so a failed job removes its committed outputs too.
func (c *Coordinator) Finish() error {
	c.stop()
	defer c.Close()
	c.mu.Lock()
	failure := c.table.Failure()
	skipped := c.table.Skipped()
	begun := make(map[task.AttemptID]bool, len(c.earlierAttempts)+len(c.table.Attempts()))
	for _, id := range c.earlierAttempts {
		begun[id] = true
	}
	for _, r := range c.table.Attempts() {
		begun[r.ID] = true
	}
	committed := make(map[task.AttemptID]bool)
	var committedReduces []task.AttemptID
	c.table.Committed(func(id task.AttemptID) {
		committed[id] = true
		if id.Task.Kind == task.Reduce {
			committedReduces = append(committedReduces, id)
		}
	})
	progress := c.table.Progress()
	c.mu.Unlock()

	resumable := failure != nil && c.committer.journaled()
	var errs []error
	if !c.cfg.KeepScratch {
		errs = append(errs, jobfiles.RemoveOwned(c.cfg.Dir, func(id task.AttemptID, intermediate bool) bool {
			return begun[id] && !(resumable && intermediate && committed[id])
		}))
	}
	switch {
	case resumable:
		errs = append(errs, c.hideOutputs(committedReduces))
	case failure != nil:
		var reduces []int
		for _, id := range committedReduces {
			reduces = append(reduces, id.Task.Index)
		}
		errs = append(errs, jobfiles.RemoveOutputs(c.cfg.Dir, reduces))
	case c.committer.journaled():
		errs = append(errs, c.committer.remove())
	}
	if err := errors.Join(errs...); err != nil {
		c.log.Error("clean up after the job", "err", err)
	}
	if resumable {
		return fmt.Errorf("job failed: %w\n"+
			"the work committed so far is kept (%d of %d maps, %d of %d reduces, their outputs hidden until the job is done); "+
			"run the same command again to resume the job, adding -skip-bad-inputs to leave out inputs that keep failing "+
			"(remove %s to start afresh instead)",
			failure, progress.MapsDone, progress.Maps, progress.ReducesDone, progress.Reduces, jobfiles.Journal)
	}
	if failure != nil {
		return fmt.Errorf("job failed: %w", failure)
	}
	if len(skipped) > 0 {
		c.log.Warn("job done without some inputs", "skipped", skipped)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	return nil
}

// abort fails the job with err, typically a journal that cannot be
// written: a restart could no longer trust it.
func (c *Coordinator) abort(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table.Abort(err)
	c.logFailureLocked()
	c.notifyLocked()
}
