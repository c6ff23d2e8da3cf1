package coordinator

import (
	"errors"
	"fmt"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// Finish cleans up after a job that is over, following the list of
// attempts the job began (in this start and, from the journal, earlier
// ones), never a file name pattern: a file no attempt of this job wrote is
// never removed. Unless KeepScratch, it removes every file of those
// attempts (map outputs, scratch files, staged outputs), so that after a
// success only mr-out-* remain. After a failure it also removes the
// outputs this job committed. Last it removes the journal. It returns the
// job's error.
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
	var committedReduces []int
	c.table.Committed(func(id task.AttemptID) {
		if id.Task.Kind == task.Reduce {
			committedReduces = append(committedReduces, id.Task.Index)
		}
	})
	c.mu.Unlock()

	var errs []error
	if !c.cfg.KeepScratch {
		errs = append(errs, jobfiles.RemoveOwned(c.cfg.Dir, func(id task.AttemptID, _ bool) bool { return begun[id] }))
	}
	if failure != nil {
		errs = append(errs, jobfiles.RemoveOutputs(c.cfg.Dir, committedReduces))
	}
	if c.journal != nil {
		errs = append(errs, c.journal.Remove())
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
