package coordinator

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"6.5840/mr/atomicfile"
	"6.5840/mr/coordinator/table"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/s3job"
	"6.5840/mr/task"
)

// The committer is the one place where what the job decided becomes
// durable: every journal line and every published mr-out-R is written
// here, before anyone hears of the decision. A handler changes the table
// under the coordinator's lock and lets go of it with unlockAndPersist,
// which takes what the table decided meanwhile (lost map outputs, skipped
// map tasks) together with what the handler adds (a registration, an
// attempt handed out, a commit), and writes it all once the lock is free.
// A journal that cannot be written fails the job: a restart could no
// longer trust it.

// errJournal marks an error writing the journal: the job fails.
var errJournal = errors.New("journal")

// record is what one step of the job makes durable.
type record struct {
	// worker registered; app is the job's application, the first time a
	// worker names one.
	worker protocol.WorkerID
	app    string
	// begun is the attempt handed out, if one was.
	begun *task.AttemptID
	// table holds what the table decided: lost outputs, skipped tasks.
	table table.Changes
	// commit is an attempt's commit, made durable before the table ends
	// it; upload is its output's pending upload, for an output in a
	// bucket.
	commit *table.Commit
	upload *protocol.Upload
}

// committer writes records to the job folder and its journal.
type committer struct {
	dir string
	// journal is nil when the job runs without one.
	journal *journal.Journal
	log     *slog.Logger
	inputs  []task.Input
	// output is the job's output prefix in a bucket; nil for dir.
	output *s3job.Output
}

// unlockAndPersist lets go of c.mu, which the caller holds, and makes r
// durable together with what the table decided while mu was held. It
// returns the error that kept r's commit from being made, if any.
func (c *Coordinator) unlockAndPersist(r record) error {
	r.table = c.table.TakeChanges()
	c.mu.Unlock()
	err := c.committer.write(r)
	if errors.Is(err, errJournal) {
		c.abort(err)
	}
	if err == nil {
		c.splitsDurable(r)
	}
	return err
}

// write makes r durable: the commit's output, then the journal's lines
// for the registration, the hand-out, the table's changes and the commit.
// It stops at the first error.
func (cm *committer) write(r record) error {
	for _, id := range r.table.Skipped {
		cm.log.Warn("map input skipped after too many failures", "task", id, "input", cm.inputs[id.Index].String())
	}
	var commit journal.Commit
	if r.commit != nil {
		commit = journal.Commit{Attempt: r.commit.Attempt, Counters: r.commit.Counters, Server: r.commit.Server, Extent: r.commit.Extent}
		if id := commit.Attempt; id.Task.Kind == task.Reduce {
			var err error
			if cm.output != nil {
				commit.Size, commit.ETag, err = cm.publishUpload(id, r.upload)
			} else {
				commit.Size, commit.CRC, err = cm.publish(id)
			}
			if err != nil {
				return err
			}
		}
	}
	if cm.journal == nil {
		return nil
	}
	if err := cm.journalRecord(r, commit); err != nil {
		return fmt.Errorf("%w: %w", errJournal, err)
	}
	return nil
}

// journalRecord appends r's lines to the journal, with commit for r's
// commit, and stops at the first error.
func (cm *committer) journalRecord(r record, commit journal.Commit) error {
	j := cm.journal
	if r.worker != 0 {
		if err := j.Worker(int(r.worker)); err != nil {
			return err
		}
	}
	if r.app != "" {
		if err := j.App(r.app); err != nil {
			return err
		}
	}
	if r.begun != nil {
		if err := j.Begin(*r.begun); err != nil {
			return err
		}
	}
	if r.table.SplitsPicked {
		if err := j.Splits(r.table.Splits); err != nil {
			return err
		}
	}
	for _, id := range r.table.Lost {
		if err := j.Lost(id); err != nil {
			return err
		}
	}
	for _, id := range r.table.Skipped {
		if err := j.Commit(journal.Commit{Attempt: task.AttemptID{Task: id}, Skipped: true}); err != nil {
			return err
		}
	}
	if r.commit != nil {
		return j.Commit(commit)
	}
	return nil
}

// publish makes reduce attempt id's staged output the task's, and returns
// its size and CRC-32C, which the journal records so that a resumed job
// can tell the file is still the one committed. The output is renamed to
// mr-out-R (only the coordinator does this, and only for the committed
// attempt, so a revoked or beaten attempt can never replace it) and the
// folder synced.
func (cm *committer) publish(id task.AttemptID) (int64, uint32, error) {
	staged := filepath.Join(cm.dir, jobfiles.StagedOutput(id.Task.Index, id.Attempt))
	final := filepath.Join(cm.dir, jobfiles.Output(id.Task.Index))
	size, sum, err := outputSum(staged)
	if err != nil {
		return 0, 0, fmt.Errorf("commit %v: %w (do the workers run in the coordinator's folder %s?)", id, err, cm.dir)
	}
	if err := os.Rename(staged, final); err != nil {
		return 0, 0, fmt.Errorf("commit %v: %w (do the workers run in the coordinator's folder %s?)", id, err, cm.dir)
	}
	if err := atomicfile.SyncDir(cm.dir); err != nil {
		return 0, 0, fmt.Errorf("commit %v: %w", id, err)
	}
	return size, sum, nil
}

// journaled reports whether the job keeps a journal, so that a failed
// job can be resumed.
func (cm *committer) journaled() bool { return cm.journal != nil }

// close closes the journal.
func (cm *committer) close() {
	if cm.journal != nil {
		cm.journal.Close()
	}
}

// remove deletes the journal: the job is done.
func (cm *committer) remove() error {
	if cm.journal == nil {
		return nil
	}
	return cm.journal.Remove()
}
