package coordinator

import (
	"time"

	"6.5840/mr/protocol"
)

// heartbeat is the Heartbeat RPC: it renews a live attempt's lease and
// keeps its status message, or tells the worker the attempt was revoked.
func (c *Coordinator) heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.checkCallerLocked(args.Header); err != nil {
		return err
	}
	reply.Revoked = !c.table.Heartbeat(int(args.Worker), args.Attempt, time.Now())
	if !reply.Revoked && args.Status != "" {
		c.table.SetStatus(args.Attempt, args.Status)
	}
	if reply.Revoked {
		c.log.Info("heartbeat for a revoked attempt", "worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	}
	return nil
}
