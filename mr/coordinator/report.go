package coordinator

import (
	"fmt"
	"log/slog"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

func (c *Coordinator) report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	log := c.log.With("worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	result, err := c.judge(args, log)
	if err != nil {
		return err
	}
	if result == table.ResultCommitting {
		result = c.commit(args, log)
	}

	c.mu.Lock()
	p := c.table.Progress()
	c.logFailureLocked()
	c.notifyLocked()
	var next protocol.GetTaskReply
	if args.WantTask && result != table.ResultUnknown {
		if info, ok := c.workers.get(args.Worker); ok && c.offerLocked(args.Worker, info, &next) {
			reply.Next = &next
		}
	}
	c.unlockAndPersist(record{begun: begun(reply.Next)})

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
		c.logOffer(args.Header, reply.Next)
	}
	return nil
}

// judge applies a report to the table and returns the result. A success
// report that finds another report's commit of the task under way waits
// for it to end.
func (c *Coordinator) judge(args *protocol.ReportArgs, log *slog.Logger) (table.ReportResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		if _, err := c.checkCallerLocked(args.Header); err != nil {
			return 0, err
		}
		now := time.Now()
		worker := int(args.Worker)
		switch {
		case args.Error == "":
			if err := c.table.CheckCounters(args.Counters); err != nil {
				// Counts that cannot be right are not added: the attempt
				// failed.
				log.Warn("report rejected: counters refused", "err", err)
				return c.table.Fail(worker, args.Attempt, fmt.Sprintf("counters refused: %v", err), now), nil
			}
			if result := c.table.BeginCommit(worker, args.Attempt); result != table.ResultBusy {
				return result, nil
			}
		case len(args.Lost) > 0 || args.Yielded:
			if c.table.IsLive(worker, args.Attempt) && args.Attempt.Task.Kind == task.Reduce {
				c.lostOutputsLocked(args.Lost, log)
			}
			return c.table.Release(worker, args.Attempt, args.Error, now), nil
		default:
			return c.table.Fail(worker, args.Attempt, args.Error, now), nil
		}
		changed := c.changed
		c.mu.Unlock()
		<-changed
		c.mu.Lock()
	}
}

// commit makes the commit that BeginCommit began durable, ends it, and
// returns table.ResultCommitted, or table.ResultFailed if it could not be
// made.
func (c *Coordinator) commit(args *protocol.ReportArgs, log *slog.Logger) table.ReportResult {
	c.mu.Lock()
	commit := table.Commit{Attempt: args.Attempt, Counters: args.Counters}
	if info, ok := c.workers.get(args.Worker); ok && args.Attempt.Task.Kind == task.Map {
		commit.Server = info.server
	}
	err := c.unlockAndPersist(record{commit: &commit})
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table.EndCommit(commit, err, time.Now())
	if err != nil {
		log.Error("commit failed", "err", err)
		return table.ResultFailed
	}
	c.table.SetAttemptBytes(args.Attempt, args.Counters[protocol.CounterBytesWritten])
	return table.ResultCommitted
}
