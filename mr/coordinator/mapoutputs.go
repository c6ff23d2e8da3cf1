package coordinator

import (
	"fmt"
	"log/slog"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// lostOutputsLocked applies a reduce attempt's reports of map outputs it
// could not read, and reports whether any map task runs again.
func (c *Coordinator) lostOutputsLocked(lost []protocol.LostOutput, log *slog.Logger) bool {
	rerun := false
	now := time.Now()
	for _, l := range lost {
		if c.table.LoseOutput(l.Map, l.Reason, now) != table.DecisionRerun {
			continue
		}
		rerun = true
		log.Warn("map output lost; its map task runs again", "map", l.Map,
			"input", c.inputs[l.Map.Task.Index].String(), "reason", l.Reason)
	}
	return rerun
}

// waitMapOutputs applies a reduce attempt's reports of lost map outputs,
// then waits (at most PollTimeout) until a map task it wants has an
// output, and returns those that have.
func (c *Coordinator) waitMapOutputs(args *protocol.MapOutputsArgs, reply *protocol.MapOutputsReply) error {
	log := c.log.With("worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	poll := time.NewTimer(c.cfg.PollTimeout)
	defer poll.Stop()
	if err := c.applyLost(args, log); err != nil {
		return err
	}
	for {
		changed, err := c.findMapOutputs(args, reply, log)
		if err != nil || changed == nil {
			return err
		}
		select {
		case <-changed:
		case <-poll.C:
			return nil
		}
	}
}

// applyLost checks a MapOutputs request and applies its reports of lost
// map outputs, if its reduce attempt is live.
func (c *Coordinator) applyLost(args *protocol.MapOutputsArgs, log *slog.Logger) error {
	c.mu.Lock()
	if _, err := c.checkCallerLocked(args.Header); err != nil {
		c.mu.Unlock()
		return err
	}
	for _, m := range args.Want {
		if m < 0 || m >= c.table.Maps() {
			c.mu.Unlock()
			return fmt.Errorf("no map task %d", m)
		}
	}
	if args.Attempt.Task.Kind == task.Reduce && c.table.IsLive(int(args.Worker), args.Attempt) {
		if c.lostOutputsLocked(args.Lost, log) {
			c.logFailureLocked()
			c.notifyLocked()
		}
	}
	c.unlockAndPersist(record{})
	return nil
}

// findMapOutputs fills reply with the wanted map tasks that have an
// output, or asks the attempt to yield when one of them has been idle for
// a whole PollTimeout: no worker is free to run it, and the reducer's may
// be the one needed. It returns the channel to wait on if there is
// nothing to answer yet, and nil once reply is the answer.
func (c *Coordinator) findMapOutputs(args *protocol.MapOutputsArgs, reply *protocol.MapOutputsReply, log *slog.Logger) (<-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.checkCallerLocked(args.Header); err != nil {
		return nil, err
	}
	if args.Attempt.Task.Kind != task.Reduce || !c.table.IsLive(int(args.Worker), args.Attempt) {
		reply.Revoked = true
		return nil, nil
	}
	now := time.Now()
	yield := false
	for _, m := range args.Want {
		if commit, ok := c.table.MapCommit(m); ok {
			reply.Outputs = append(reply.Outputs, mapOutput(commit))
		} else if c.table.MapIdleFor(m, now) >= c.cfg.PollTimeout {
			yield = true
		}
	}
	switch {
	case len(reply.Outputs) > 0:
		return nil, nil
	case yield:
		log.Info("asking a waiting reduce attempt to yield: a map task it needs is idle")
		reply.Yield = true
		return nil, nil
	}
	return c.changed, nil
}
