package coordinator

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"6.5840/mr/atomicfile"
	"6.5840/mr/coordinator/table"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// errJournal marks a commit that failed because the journal could not be
// written: the job fails.
var errJournal = errors.New("journal")

func (c *Coordinator) report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	log := c.log.With("worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	result, rerun, err := c.judge(args, log)
	if err != nil {
		return err
	}
	c.journalLost(rerun)
	if result == table.ResultCommitting {
		result = c.commit(args, log)
	}

	c.mu.Lock()
	skipped := c.table.TakeSkipped()
	p := c.table.Progress()
	c.logFailureLocked()
	c.notifyLocked()
	var next protocol.GetTaskReply
	if args.WantTask && result != table.ResultUnknown {
		if info, ok := c.workers.get(args.Worker); ok && c.offerLocked(args.Worker, info, &next) {
			reply.Next = &next
		}
	}
	c.mu.Unlock()
	c.journalSkipped(skipped)

	switch result {
	case table.ResultCommitted:
		reply.Outcome = protocol.OutcomeCommitted
		log.Info("attempt committed", "maps_done", p.MapsDone, "reduces_done", p.ReducesDone)
	case table.ResultFailed:
		reply.Outcome = protocol.OutcomeFailed
		log.Warn("attempt failed", "err", args.Error)
	case table.ResultReleased:
		reply.Outcome = protocol.OutcomeReleased
		log.Info("attempt released", "yielded", args.Yielded, "err", args.Error)
	case table.ResultIgnored:
		reply.Outcome = protocol.OutcomeIgnored
		log.Info("report ignored: attempt is no longer live (revoked, superseded or the job is over)", "err", args.Error)
	default:
		reply.Outcome = protocol.OutcomeRejected
		log.Warn("report rejected: no such attempt of this worker")
	}
	if reply.Next != nil {
		c.startOffer(args.Header, reply.Next)
	}
	return nil
}

// judge applies a report to the table and returns the result, and the
// map attempts whose outputs the report found lost. A success report that
// finds another report's commit of the task under way waits for it to end.
func (c *Coordinator) judge(args *protocol.ReportArgs, log *slog.Logger) (table.ReportResult, []task.AttemptID, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if _, err := c.checkCallerLocked(args.Header); err != nil {
			return 0, nil, err
		}
		now := time.Now()
		worker := int(args.Worker)
		switch {
		case args.Error == "":
			if err := c.table.CheckCounters(args.Counters); err != nil {
				// Counts that cannot be right are not added: the attempt
				// failed.
				log.Warn("report rejected: counters refused", "err", err)
				return c.table.Fail(worker, args.Attempt, fmt.Sprintf("counters refused: %v", err), now), nil, nil
			}
			if result := c.table.BeginCommit(worker, args.Attempt); result != table.ResultBusy {
				return result, nil, nil
			}
		case len(args.Lost) > 0 || args.Yielded:
			var rerun []task.AttemptID
			if c.table.IsLive(worker, args.Attempt) && args.Attempt.Task.Kind == task.Reduce {
				rerun = c.lostOutputsLocked(args.Lost, log)
			}
			return c.table.Release(worker, args.Attempt, args.Error, now), rerun, nil
		default:
			return c.table.Fail(worker, args.Attempt, args.Error, now), nil, nil
		}
		changed := c.changed
		c.mu.Unlock()
		<-changed
		c.mu.Lock()
	}
}

// commit makes the commit that BeginCommit began durable, ends it, and
// returns table.ResultCommitted, or table.ResultFailed if it could not be made.
func (c *Coordinator) commit(args *protocol.ReportArgs, log *slog.Logger) table.ReportResult {
	c.mu.Lock()
	var server string
	if info, ok := c.workers.get(args.Worker); ok {
		server = info.server
	}
	c.mu.Unlock()
	err := c.makeDurable(args.Attempt, args.Counters, server)
	c.mu.Lock()
	defer c.mu.Unlock()
	commit := table.Commit{Attempt: args.Attempt, Counters: args.Counters}
	if args.Attempt.Task.Kind == task.Map {
		commit.Server = server
	}
	c.table.EndCommit(commit, err, time.Now())
	if errors.Is(err, errJournal) {
		c.table.Abort(err)
	}
	if err != nil {
		log.Error("commit failed", "err", err)
		return table.ResultFailed
	}
	c.table.SetAttemptBytes(args.Attempt, args.Counters[protocol.CounterBytesWritten])
	return table.ResultCommitted
}

// makeDurable makes attempt id's output the task's, on disk: a reduce
// attempt's staged output is renamed to mr-out-R (only the coordinator
// does this, and only for the committed attempt, so a revoked or beaten
// attempt can never replace it), and the commit is journaled.
func (c *Coordinator) makeDurable(id task.AttemptID, counters map[string]int64, server string) error {
	commit := journal.Commit{Attempt: id, Counters: counters}
	if id.Task.Kind == task.Reduce {
		staged := filepath.Join(c.cfg.Dir, jobfiles.StagedOutput(id.Task.Index, id.Attempt))
		final := filepath.Join(c.cfg.Dir, jobfiles.Output(id.Task.Index))
		var err error
		// The journal records what was committed, so that a resumed job
		// can tell the file is still the same.
		if commit.Size, commit.CRC, err = outputSum(staged); err != nil {
			return fmt.Errorf("commit %v: %w (do the workers run in the coordinator's folder %s?)", id, err, c.cfg.Dir)
		}
		if err := os.Rename(staged, final); err != nil {
			return fmt.Errorf("commit %v: %w (do the workers run in the coordinator's folder %s?)", id, err, c.cfg.Dir)
		}
		if err := atomicfile.SyncDir(c.cfg.Dir); err != nil {
			return fmt.Errorf("commit %v: %w", id, err)
		}
	}
	if c.journal != nil {
		if id.Task.Kind == task.Map {
			commit.Server = server
		}
		if err := c.journal.Commit(commit); err != nil {
			return fmt.Errorf("%w: %w", errJournal, err)
		}
	}
	return nil
}

// journalSkipped journals map tasks skipped after too many failures.
func (c *Coordinator) journalSkipped(skipped []task.ID) {
	for _, id := range skipped {
		c.log.Warn("map input skipped after too many failures", "task", id, "input", c.inputs[id.Index].String())
		if c.journal == nil {
			continue
		}
		if err := c.journal.Commit(journal.Commit{Attempt: task.AttemptID{Task: id}, Skipped: true}); err != nil {
			c.abort(err)
			return
		}
	}
}
