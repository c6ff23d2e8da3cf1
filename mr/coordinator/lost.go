package coordinator

import (
	"fmt"
	"log/slog"
	"time"

	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// lostOutputsLocked applies a reduce attempt's reports of map outputs it
// could not read, and returns the map attempts whose tasks run again.
func (c *Coordinator) lostOutputsLocked(lost []protocol.LostOutput, log *slog.Logger) []task.AttemptID {
	var rerun []task.AttemptID
	now := time.Now()
	for _, l := range lost {
		if c.table.OutputLost(l.Map, l.Reason, now) != LostRerun {
			continue
		}
		c.takeBackCounters(l.Map.Task.Index)
		c.mapsRerun++
		rerun = append(rerun, l.Map)
		log.Warn("map output lost; its map task runs again", "map", l.Map,
			"input", c.inputs[l.Map.Task.Index].String(), "reason", l.Reason)
	}
	return rerun
}

// journalLost journals that the outputs of map attempts were lost.
func (c *Coordinator) journalLost(rerun []task.AttemptID) {
	if c.journal == nil {
		return
	}
	for _, id := range rerun {
		if err := c.journal.Lost(id); err != nil {
			c.abort(err)
			return
		}
	}
}

// waitMapOutputs applies a reduce attempt's reports of lost map outputs,
// then waits (at most PollTimeout) until a map task it wants has an
// output, and returns those that have. It asks the attempt to yield when a
// map task it wants has been idle for a whole PollTimeout: no worker is
// free to run it, and the reducer's may be the one needed.
func (c *Coordinator) waitMapOutputs(args *protocol.MapOutputsArgs, reply *protocol.MapOutputsReply) error {
	log := c.log.With("worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	poll := time.NewTimer(c.cfg.PollTimeout)
	defer poll.Stop()
	worker := int(args.Worker)

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
	var rerun []task.AttemptID
	if args.Attempt.Task.Kind == task.Reduce && c.table.IsLive(worker, args.Attempt) {
		if rerun = c.lostOutputsLocked(args.Lost, log); len(rerun) > 0 {
			c.logFailureLocked()
			c.notifyLocked()
		}
	}
	c.mu.Unlock()
	c.journalLost(rerun)

	for {
		c.mu.Lock()
		if _, err := c.checkCallerLocked(args.Header); err != nil {
			c.mu.Unlock()
			return err
		}
		if args.Attempt.Task.Kind != task.Reduce || !c.table.IsLive(worker, args.Attempt) {
			c.mu.Unlock()
			reply.Revoked = true
			return nil
		}
		now := time.Now()
		yield := false
		for _, m := range args.Want {
			if a, ok := c.table.MapOutput(m); ok {
				reply.Outputs = append(reply.Outputs, protocol.OutputLocation{Map: m, Attempt: a, Server: c.mapServer[m]})
			} else if c.table.MapIdleFor(m, now) >= c.cfg.PollTimeout {
				yield = true
			}
		}
		changed := c.changed
		c.mu.Unlock()
		switch {
		case len(reply.Outputs) > 0:
			return nil
		case yield:
			log.Info("asking a waiting reduce attempt to yield: a map task it needs is idle")
			reply.Yield = true
			return nil
		}
		select {
		case <-changed:
		case <-poll.C:
			return nil
		}
	}
}
