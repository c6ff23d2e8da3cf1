package coordinator

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// report is the Report RPC: the table decides what the report of an
// attempt means (committing the first success of a live attempt), and
// the worker hears the verdict, with its next task if it asked for one.
func (c *Coordinator) report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	// slog's With formats its attributes at once: most reports log
	// nothing at the default level, so the logger is made when needed.
	log := sync.OnceValue(func() *slog.Logger {
		return c.log.With("worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	})
	decision, err := c.judge(args, log)
	if err != nil {
		return err
	}
	if decision == table.DecisionCommitting {
		decision = c.commit(args, log)
	}
	c.abortReported(args, decision == table.DecisionCommitted)

	c.mu.Lock()
	p := c.table.Progress()
	c.logFailureLocked()
	c.notifyLocked()
	var next protocol.GetTaskReply
	if args.WantTask && decision != table.DecisionUnknown {
		if info, ok := c.workers.get(args.Worker); ok && c.offerLocked(args.Worker, info, args.HaveSplits, &next) {
			reply.Next = &next
		}
	}
	c.unlockAndPersist(record{begun: begun(reply.Next)})

	switch decision {
	case table.DecisionCommitted:
		reply.Verdict = protocol.VerdictCommitted
		if c.log.Enabled(context.Background(), slog.LevelDebug) {
			log().Debug("attempt committed", "maps_done", p.MapsDone, "reduces_done", p.ReducesDone)
		}
	case table.DecisionFailed:
		reply.Verdict = protocol.VerdictFailed
		log().Warn("attempt failed", "err", args.Error)
	case table.DecisionReleased:
		reply.Verdict = protocol.VerdictReleased
		log().Info("attempt released", "yielded", args.Yielded, "err", args.Error)
	case table.DecisionIgnored:
		reply.Verdict = protocol.VerdictIgnored
		log().Info("report ignored: attempt is no longer live (revoked, superseded or the job is over)", "err", args.Error)
	default:
		reply.Verdict = protocol.VerdictRejected
		log().Warn("report rejected: no such attempt of this worker")
	}
	if reply.Next != nil {
		c.logOffer(args.Header, reply.Next)
	}
	return nil
}

// judge applies a report to the table and returns its decision. A success
// report that finds another report's commit of the task under way waits
// for it to end.
func (c *Coordinator) judge(args *protocol.ReportArgs, log func() *slog.Logger) (table.Decision, error) {
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
				log().Warn("report rejected: counters refused", "err", err)
				return c.table.Fail(worker, args.Attempt, fmt.Sprintf("counters refused: %v", err), now), nil
			}
			if err := c.checkExtentLocked(args); err != nil {
				log().Warn("report rejected: segment extent refused", "err", err)
				return c.table.Fail(worker, args.Attempt, fmt.Sprintf("segment extent refused: %v", err), now), nil
			}
			if err := checkSampleKeys(args.Keys); err != nil {
				log().Warn("report rejected: sampled keys refused", "err", err)
				return c.table.Fail(worker, args.Attempt, fmt.Sprintf("sampled keys refused: %v", err), now), nil
			}
			if decision := c.table.BeginCommit(worker, args.Attempt); decision != table.DecisionBusy {
				return decision, nil
			}
		case len(args.Lost) > 0 || args.Yielded:
			if c.table.IsLive(worker, args.Attempt) && args.Attempt.Task.Kind == task.Reduce {
				c.lostOutputsLocked(args.Lost, log())
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

// checkExtentLocked refuses a success report's segment extent that
// cannot be right: one of a task other than a map task, of a worker that
// serves its map outputs (a segment file is in the shared folder), or out
// of range.
func (c *Coordinator) checkExtentLocked(args *protocol.ReportArgs) error {
	e := args.Extent
	if e == (jobfiles.Extent{}) {
		return nil
	}
	info, _ := c.workers.get(args.Worker)
	seg := e.Segment.Task
	switch {
	case args.Attempt.Task.Kind != task.Map:
		return fmt.Errorf("a %v attempt's output is never in a segment file", args.Attempt.Task.Kind)
	case info.server != "":
		return fmt.Errorf("a worker that serves its map outputs (%s) keeps no segment file in the shared folder", info.server)
	case e.Length < 1 || e.Offset < 0 || e.Offset > math.MaxInt64-e.Length:
		return fmt.Errorf("%d bytes at offset %d", e.Length, e.Offset)
	case seg.Kind != task.Map || seg.Index < 0 || seg.Index >= c.table.Maps() || e.Segment.Attempt < 1:
		return fmt.Errorf("in the segment file of %v, which cannot exist", e.Segment)
	}
	return nil
}

// commit makes the commit that BeginCommit began durable, ends it, and
// returns table.DecisionCommitted, or table.DecisionFailed if it could not be
// made.
func (c *Coordinator) commit(args *protocol.ReportArgs, log func() *slog.Logger) table.Decision {
	c.mu.Lock()
	commit := table.Commit{Attempt: args.Attempt, Counters: args.Counters}
	if info, ok := c.workers.get(args.Worker); ok && args.Attempt.Task.Kind == task.Map {
		commit.Server, commit.Extent = info.server, args.Extent
	}
	r := record{commit: &commit, upload: args.Upload}
	if args.Attempt.Task.Kind == task.Sample {
		// A sample's keys matter only until the split points are
		// journaled: its commit is not.
		commit.Keys, r = args.Keys, record{}
	}
	err := c.unlockAndPersist(r)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table.EndCommit(commit, err, time.Now())
	if err != nil {
		log().Error("commit failed", "err", err)
		return table.DecisionFailed
	}
	c.table.SetAttemptBytes(args.Attempt, args.Counters[protocol.CounterBytesWritten])
	return table.DecisionCommitted
}
