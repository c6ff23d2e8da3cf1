package coordinator

import (
	"errors"
	"time"

	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// errUnknownWorker is returned to a worker that did not register with this
// coordinator; it should register again.
var errUnknownWorker = errors.New(protocol.ErrUnknownWorker)

func (c *Coordinator) register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextWorker++
	id := c.nextWorker
	c.workers[id] = &workerInfo{host: args.Host, pid: args.PID, lastSeen: time.Now()}
	reply.Worker = id
	reply.NReduce = c.cfg.NReduce
	reply.HeartbeatInterval = c.cfg.HeartbeatInterval
	reply.Lease = c.cfg.Lease
	c.log.Info("worker registered", "worker", id, "host", args.Host, "pid", args.PID)
}

func (c *Coordinator) getTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	poll := time.NewTimer(c.cfg.PollTimeout)
	defer poll.Stop()
	for {
		c.mu.Lock()
		info, ok := c.touchLocked(args.Worker)
		if !ok {
			c.mu.Unlock()
			return errUnknownWorker
		}
		offered := c.offerLocked(args.Worker, info, reply)
		changed := c.changed
		c.mu.Unlock()
		if offered {
			c.logOffer(args.Header, reply)
			return nil
		}
		select {
		case <-changed:
		case <-poll.C:
			reply.Action = protocol.ActionWait
			return nil
		}
	}
}

// offerLocked fills reply with what worker should do now: exit, or run an
// attempt. It returns false, leaving reply alone, if there is nothing yet.
func (c *Coordinator) offerLocked(worker protocol.WorkerID, info *workerInfo, reply *protocol.GetTaskReply) bool {
	if c.table.Over() {
		reply.Action = protocol.ActionExit
		reply.JobFailed = c.table.Failure() != nil
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
		if c.mapAttemptRuns == nil {
			c.mapAttemptRuns = protocol.CompressAttempts(c.table.MapAttempts())
		}
		reply.MapAttempts = c.mapAttemptRuns
	}
	// The reaper must learn of the new lease.
	c.notifyLocked()
	return true
}

// logOffer logs what offerLocked told a worker.
func (c *Coordinator) logOffer(h protocol.Header, reply *protocol.GetTaskReply) {
	switch reply.Action {
	case protocol.ActionRun:
		c.log.Info("attempt started", "worker", h.Worker, "req", h.RequestID, "attempt", reply.Attempt,
			"input", reply.Input.String(), "backup", reply.Backup)
	case protocol.ActionExit:
		c.log.Debug("told worker to exit", "worker", h.Worker, "req", h.RequestID)
	}
}

func (c *Coordinator) heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.touchLocked(args.Worker); !ok {
		return errUnknownWorker
	}
	reply.Revoked = !c.table.Heartbeat(int(args.Worker), args.Attempt, time.Now())
	if reply.Revoked {
		c.log.Info("heartbeat for a revoked attempt", "worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	}
	return nil
}

func (c *Coordinator) report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	log := c.log.With("worker", args.Worker, "req", args.RequestID, "attempt", args.Attempt)
	c.mu.Lock()
	if _, ok := c.touchLocked(args.Worker); !ok {
		c.mu.Unlock()
		return errUnknownWorker
	}
	var result ReportResult
	if args.Error == "" {
		result = c.table.Complete(int(args.Worker), args.Attempt, time.Now())
	} else {
		result = c.table.Fail(int(args.Worker), args.Attempt, args.Error, time.Now())
	}
	if result == ResultCommitted {
		for name, n := range args.Counters {
			c.counters[name] += n
		}
		c.table.SetAttemptBytes(args.Attempt, args.Counters[protocol.CounterBytesWritten])
	}
	skipped := c.table.TakeSkipped()
	p := c.table.Progress()
	var next protocol.GetTaskReply
	if args.WantTask && result != ResultUnknown {
		if info, ok := c.workers[args.Worker]; ok && c.offerLocked(args.Worker, info, &next) {
			reply.Next = &next
		}
	}
	c.mu.Unlock()

	switch result {
	case ResultCommitted:
		reply.Outcome = protocol.OutcomeCommitted
		log.Info("attempt committed", "maps_done", p.MapsDone, "reduces_done", p.ReducesDone)
	case ResultFailed:
		reply.Outcome = protocol.OutcomeFailed
		log.Warn("attempt failed", "err", args.Error)
	case ResultIgnored:
		reply.Outcome = protocol.OutcomeIgnored
		log.Info("report ignored: attempt is no longer live (revoked, superseded or duplicate)", "err", args.Error)
	default:
		reply.Outcome = protocol.OutcomeRejected
		log.Warn("report rejected: no such attempt of this worker")
	}
	// The commit is acknowledged only once the journal has it on disk.
	var commits []journal.Commit
	if result == ResultCommitted {
		commits = append(commits, journal.Commit{Attempt: args.Attempt, Counters: args.Counters})
	}
	c.journalCommits(commits, skipped)
	if reply.Next != nil {
		c.logOffer(args.Header, reply.Next)
	}
	if result == ResultCommitted || result == ResultFailed {
		c.mu.Lock()
		c.logFailureLocked()
		c.notifyLocked()
		c.mu.Unlock()
	}
	return nil
}

// journalCommits appends commits and skipped map tasks to the journal.
// A journal that cannot be written fails the job: a restart could no
// longer trust it.
func (c *Coordinator) journalCommits(commits []journal.Commit, skipped []task.ID) {
	for _, id := range skipped {
		c.log.Warn("map input skipped after too many failures", "task", id, "input", c.inputs[id.Index].String())
		commits = append(commits, journal.Commit{Attempt: task.AttemptID{Task: id}, Skipped: true})
	}
	if c.journal == nil {
		return
	}
	for _, commit := range commits {
		if err := c.journal.Commit(commit); err != nil {
			c.mu.Lock()
			c.table.Abort(err)
			c.logFailureLocked()
			c.notifyLocked()
			c.mu.Unlock()
			return
		}
	}
}

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
	return s.c.getTask(args, reply)
}

// Heartbeat renews an attempt's lease.
func (s *Service) Heartbeat(args *protocol.HeartbeatArgs, reply *protocol.HeartbeatReply) error {
	return s.c.heartbeat(args, reply)
}

// Report ends an attempt.
func (s *Service) Report(args *protocol.ReportArgs, reply *protocol.ReportReply) error {
	return s.c.report(args, reply)
}
