package coordinator

import (
	"fmt"
	"path/filepath"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
)

// openJournal opens the job's journal and replays what an earlier
// coordinator on this job committed.
func (c *Coordinator) openJournal() error {
	job := journal.FingerprintInputs(c.inputIDs, jobShape(c.cfg))
	j, state, err := journal.Open(filepath.Join(c.cfg.Dir, jobfiles.Journal), job,
		journal.Shape{Maps: len(c.inputs), Reduces: c.cfg.NReduce})
	if err != nil {
		return err
	}
	check := c.checkOutputs
	if c.output != nil {
		check = func(commits []journal.Commit) ([]journal.Commit, error) {
			return c.checkBucketOutputs(commits, state.Starts > 0, state.Completing)
		}
	}
	commits, err := check(state.Commits)
	if err != nil {
		j.Close()
		return err
	}
	if state.HasSplits && c.cfg.TotalOrder {
		c.table.RestoreSplits(state.Splits, time.Now())
	}
	if err := c.table.Restore(state.Starts, restored(commits), time.Now()); err != nil {
		j.Close()
		return fmt.Errorf("%s: %w; remove it to start the job afresh", jobfiles.Journal, err)
	}
	c.committer.journal = j
	c.jobID = job
	c.earlierAttempts = state.Begun
	c.workers.last = protocol.WorkerID(state.LastWorker)
	c.app, c.appKnown = state.App, state.App != ""
	if state.Starts > 0 {
		p := c.table.Progress()
		c.log.Info("resuming job from journal", "earlier_starts", state.Starts,
			"maps_done", p.MapsDone, "reduces_done", p.ReducesDone)
	}
	if c.table.Over() {
		c.ended = time.Now()
		close(c.over)
	}
	return nil
}

// jobShape returns the settings that decide a job's tasks, for its
// journal's fingerprint: a job resumes only with the same ones.
func jobShape(cfg Config) string {
	shape := fmt.Sprintf("nreduce=%d split=%d", cfg.NReduce, cfg.SplitSize)
	if cfg.TotalOrder {
		shape += " total-order"
	}
	if cfg.Output != "" {
		shape += " output=" + cfg.Output
	}
	return shape
}

// restored returns the journal's commits as the table keeps them.
func restored(commits []journal.Commit) []table.Commit {
	kept := make([]table.Commit, len(commits))
	for i, c := range commits {
		kept[i] = table.Commit{Attempt: c.Attempt, Skipped: c.Skipped, Server: c.Server, Extent: c.Extent, Counters: c.Counters}
	}
	return kept
}
