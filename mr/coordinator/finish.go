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
	end := c.endingLocked()
	c.mu.Unlock()

	resumable := end.failure != nil && c.committer.journaled()
	err := c.cleanUp(end, resumable)
	if err != nil {
		c.log.Error("clean up after the job", "err", err)
	}
	p := end.progress
	switch {
	case resumable:
		kept := fmt.Sprintf("%d of %d maps, %d of %d reduces, their outputs hidden until the job is done",
			p.MapsDone, p.Maps, p.ReducesDone, p.Reduces)
		if c.output != nil {
			kept = fmt.Sprintf("%d of %d maps; the reduce outputs are removed from %s, and their tasks run again",
				p.MapsDone, p.Maps, c.output)
		}
		return fmt.Errorf("job failed: %w\n"+
			"the work committed so far is kept (%s); "+
			"run the same command again to resume the job, adding -skip-bad-inputs to leave out inputs that keep failing "+
			"(remove %s to start afresh instead)",
			end.failure, kept, jobfiles.Journal)
	case end.failure != nil:
		return fmt.Errorf("job failed: %w", end.failure)
	}
	if len(end.skipped) > 0 {
		c.log.Warn("job done without some inputs", "skipped", end.skipped)
	}
	if err != nil {
		return fmt.Errorf("clean up: %w", err)
	}
	return nil
}

// ending is what Finish needs of a job that is over.
type ending struct {
	failure  error
	skipped  []string
	progress Progress
	// begun holds every attempt the job began, in this start and earlier
	// ones; committed those that committed, and committedReduces the
	// reduce attempts among them.
	begun, committed map[task.AttemptID]bool
	committedReduces []task.AttemptID
	// committedSegments names the segment files (by the attempt that
	// started each) that hold a committed map output.
	committedSegments map[task.AttemptID]bool
}

// endingLocked returns what Finish needs of the job.
func (c *Coordinator) endingLocked() ending {
	end := ending{
		failure:   c.table.Failure(),
		skipped:   c.table.Skipped(),
		progress:  c.table.Progress(),
		begun:     make(map[task.AttemptID]bool, len(c.earlierAttempts)+c.table.AttemptCount()),
		committed: make(map[task.AttemptID]bool),

		committedSegments: make(map[task.AttemptID]bool),
	}
	for _, id := range c.earlierAttempts {
		end.begun[id] = true
	}
	for r := range c.table.Attempts() {
		end.begun[r.ID] = true
	}
	c.table.Committed(func(id task.AttemptID) {
		end.committed[id] = true
		if id.Task.Kind == task.Map {
			if commit, ok := c.table.MapCommit(id.Task.Index); ok && commit.Extent.InSegment() {
				end.committedSegments[commit.Extent.Segment] = true
			}
		}
		if id.Task.Kind == task.Reduce {
			end.committedReduces = append(end.committedReduces, id)
		}
	})
	return end
}

// cleanUp removes the files of the attempts the job began, keeping the
// committed map outputs of a resumable job (unless KeepScratch, which
// keeps them all); then hides the committed outputs of a resumable job,
// removes those of a failed one that cannot resume, or removes the
// journal of a job done.
func (c *Coordinator) cleanUp(end ending, resumable bool) error {
	errs := []error{c.cleanUpBucket(end)}
	if !c.cfg.KeepScratch {
		errs = append(errs, jobfiles.RemoveOwned(c.cfg.Dir, func(id task.AttemptID, intermediate bool) bool {
			keep := end.committed[id] || end.committedSegments[id]
			return end.begun[id] && !(resumable && intermediate && keep)
		}))
	}
	switch {
	case c.output != nil && end.failure == nil && c.committer.journaled():
		errs = append(errs, c.committer.remove())
	case c.output != nil:
		// cleanUpBucket removed the outputs of a failed job.
	case resumable:
		errs = append(errs, c.hideOutputs(end.committedReduces))
	case end.failure != nil:
		var reduces []int
		for _, id := range end.committedReduces {
			reduces = append(reduces, id.Task.Index)
		}
		errs = append(errs, jobfiles.RemoveOutputs(c.cfg.Dir, reduces))
	case c.committer.journaled():
		errs = append(errs, c.committer.remove())
	}
	return errors.Join(errs...)
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
