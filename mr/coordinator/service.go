package coordinator

import (
	"crypto/subtle"
	"errors"
	"time"

	"6.5840/mr/protocol"
)

// errUnknownWorker refuses a request of a worker that did not register
// with this coordinator start; the Service answers it in the reply
// (protocol.ReplyHeader), and the worker registers again.
var errUnknownWorker = errors.New("unknown worker: register again")

// errWrongSession refuses a request that does not carry its worker's
// session.
var errWrongSession = errors.New(protocol.ErrWrongSession)

// Service is the RPC receiver; its methods are the protocol's.
type Service struct {
	c *Coordinator
}

// Register introduces a worker and assigns its id.
func (s *Service) Register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) error {
	s.c.register(args, reply)
	return nil
}

// GetTask long-polls for a task.
func (s *Service) GetTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	return answer(s.c.getTask(args, reply), &reply.ReplyHeader)
}

// Heartbeat renews an attempt's lease.
func (s *Service) Heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	return answer(s.c.heartbeat(args, reply), &reply.ReplyHeader)
}

// Report ends an attempt.
func (s *Service) Report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	return answer(s.c.report(args, reply), &reply.ReplyHeader)
}

// MapOutputs reports lost map outputs and waits for map outputs.
func (s *Service) MapOutputs(args *protocol.MapOutputsArgs, reply *protocol.MapOutputsReply) error {
	return answer(s.c.waitMapOutputs(args, reply), &reply.ReplyHeader)
}

// MapLocations answers a reduce attempt's request for a page of map
// locations.
func (s *Service) MapLocations(args *protocol.MapLocationsArgs, reply *protocol.MapLocationsReply) error {
	return answer(s.c.mapLocations(args, reply), &reply.ReplyHeader)
}

// answer returns what net/rpc sends for a handler's error: a request of a
// worker this start does not know, which the handler refused before doing
// anything, is answered in its reply, telling the worker to register
// again (net/rpc flattens errors to strings); any other error stays one.
func answer(err error, reply *protocol.ReplyHeader) error {
	if errors.Is(err, errUnknownWorker) {
		reply.UnknownWorker = true
		return nil
	}
	return err
}

// checkCallerLocked records that the sender of h was heard from. It
// returns errUnknownWorker for a worker this coordinator never registered,
// or one that registered with an earlier start (another epoch), and
// errWrongSession, logged with the peer, for a request that does not carry
// its worker's session: it speaks for a worker it is not.
func (c *Coordinator) checkCallerLocked(h protocol.Header) (*workerInfo, error) {
	info, ok := c.workers.get(h.Worker)
	if !ok || h.Epoch != c.epoch {
		return nil, errUnknownWorker
	}
	if subtle.ConstantTimeCompare([]byte(h.Session), []byte(info.session)) != 1 {
		c.log.Warn("request refused: its session is not its worker's", "worker", h.Worker, "peer", h.Peer(), "req", h.RequestID)
		return nil, errWrongSession
	}
	if n := c.table.Heard(int(h.Worker)); n > 0 {
		c.log.Info("worker heard from after losing leases: the losses do not count against their tasks",
			"worker", h.Worker, "leases", n)
	}
	if info.lost {
		return nil, errUnknownWorker
	}
	c.workers.heard(info, time.Now())
	return info, nil
}
