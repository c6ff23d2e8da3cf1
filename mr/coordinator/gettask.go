package coordinator

import (
	"context"
	"log/slog"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// getTask is the GetTask RPC: it long-polls, at most PollTimeout, until
// the worker has an attempt to run or is told to exit, and otherwise tells
// it to wait. It waits among the pollers, woken one at a time.
func (c *Coordinator) getTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	var poll *time.Timer
	defer func() {
		if poll != nil {
			poll.Stop()
		}
	}()
	for {
		c.mu.Lock()
		info, err := c.checkCallerLocked(args.Header)
		if err != nil {
			c.mu.Unlock()
			return err
		}
		if poll == nil {
			poll = time.NewTimer(pollTimeout(info, c.cfg.PollTimeout))
		}
		// An offer wakes the next poller (notifyLocked): there may be
		// more to hand out.
		if c.offerLocked(args.Worker, info, args.HaveSplits, reply) {
			c.unlockAndPersist(record{begun: begun(reply)})
			c.logOffer(args.Header, reply)
			return nil
		}
		w := c.pollers.add()
		c.mu.Unlock()
		select {
		case <-w.wake:
			continue
		case <-poll.C:
		}
		c.mu.Lock()
		if !c.pollers.remove(w) {
			// Woken as the poll timed out: the wake goes to another.
			c.pollers.wakeOne()
		}
		c.mu.Unlock()
		reply.Action = protocol.ActionWait
		return nil
	}
}

// offerLocked fills reply with what worker should do now: exit, or run an
// attempt (with the split points of a job in total order, unless the
// worker has them). It returns false, leaving reply alone, if there is
// nothing yet.
func (c *Coordinator) offerLocked(worker protocol.WorkerID, info *workerInfo, haveSplits bool, reply *protocol.GetTaskReply) bool {
	if c.table.Over() {
		reply.Action = protocol.ActionExit
		reply.JobFailed = c.table.Failure() != nil
		reply.Keep = c.cfg.KeepScratch
		info.toldExit = true
		c.notifyLocked()
		return true
	}
	a, ok := c.table.Assign(int(worker), time.Now())
	if !ok {
		return false
	}
	reply.Action = protocol.ActionRun
	reply.Attempt = a.Attempt
	reply.Input = a.Input
	reply.Backup = a.Backup
	reply.NReduce = c.cfg.NReduce
	if a.Attempt.Task.Kind == task.Reduce {
		reply.MapLocations = c.firstLocationsLocked()
		reply.Output = c.cfg.Output
	}
	c.splitsForLocked(reply, haveSplits)
	// The reaper must learn of the new lease.
	c.notifyLocked()
	return true
}

// mapOutput is what a reducer is told of a map task's commit: which
// attempt's output to read (none for a skipped task), and where.
func mapOutput(commit table.Commit) protocol.OutputLocation {
	out := protocol.OutputLocation{Map: commit.Attempt.Task.Index, Attempt: commit.Attempt.Attempt, Server: commit.Server, Extent: commit.Extent}
	if commit.Skipped {
		out.Attempt = protocol.NoOutput
	}
	return out
}

// begun returns the attempt that reply hands out, if it hands one out:
// it is made durable before the worker hears of it, so that cleanup after
// a restart knows of every file the attempt may write. A sample attempt
// writes none.
func begun(reply *protocol.GetTaskReply) *task.AttemptID {
	if reply == nil || reply.Action != protocol.ActionRun || reply.Attempt.Task.Kind == task.Sample {
		return nil
	}
	return &reply.Attempt
}

// logOffer logs what offerLocked told a worker.
func (c *Coordinator) logOffer(h protocol.Header, reply *protocol.GetTaskReply) {
	switch reply.Action {
	case protocol.ActionRun:
		// Every attempt's start is a debug line (-v): at thousands of
		// tasks a second, formatting and writing a line each is a fifth
		// of the coordinator's work. A backup attempt is news.
		level := slog.LevelDebug
		if reply.Backup {
			level = slog.LevelInfo
		}
		if !c.log.Enabled(context.Background(), level) {
			return
		}
		c.log.Log(context.Background(), level, "attempt started", "worker", h.Worker, "req", h.RequestID, "attempt", reply.Attempt,
			"input", reply.Input.String(), "backup", reply.Backup)
	case protocol.ActionExit:
		c.log.Debug("told worker to exit", "worker", h.Worker, "req", h.RequestID)
	}
}
