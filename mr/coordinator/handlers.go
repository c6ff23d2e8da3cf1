package coordinator

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// errUnknownWorker refuses a request of a worker that did not register
// with this coordinator start; the Service answers it in the reply
// (protocol.ReplyHeader), and the worker registers again.
var errUnknownWorker = errors.New("unknown worker: register again")

// errWrongSession refuses a request that does not carry its worker's
// session.
var errWrongSession = errors.New(protocol.ErrWrongSession)

func (c *Coordinator) register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) {
	c.mu.Lock()
	firstApp := false
	switch {
	case !c.appKnown:
		c.app, c.appKnown, firstApp = args.App, true, true
	case args.App != c.app:
		c.mu.Unlock()
		reply.Refused = fmt.Sprintf("this job runs another application (plugin sha256 %s; yours is %s): "+
			"every worker of a job must load the same plugin, and a journaled job resumes only with the plugin it started with",
			short(c.app), short(args.App))
		c.log.Warn("worker refused: another application", "host", args.Host, "pid", args.PID, "app", short(args.App))
		return
	}
	session := make([]byte, sessionBytes)
	rand.Read(session)
	reply.Session = hex.EncodeToString(session)
	id := c.workers.add(workerInfo{host: args.Host, pid: args.PID, server: args.Server, session: reply.Session}, time.Now())
	r := record{worker: id}
	if firstApp {
		r.app = args.App
	}
	c.unlockAndPersist(r)
	reply.Worker = id
	reply.Epoch = c.epoch
	reply.Job = c.jobID
	reply.NReduce = c.cfg.NReduce
	reply.HeartbeatInterval = c.cfg.HeartbeatInterval
	reply.Lease = c.cfg.Lease
	reply.PollTimeout = c.cfg.PollTimeout
	c.log.Info("worker registered", "worker", id, "host", args.Host, "pid", args.PID, "server", args.Server)
}

// shortHash is how many characters of an application hash messages show.
const shortHash = 12

func short(app string) string {
	if app == "" {
		return "(none)"
	}
	return app[:min(len(app), shortHash)]
}

func (c *Coordinator) getTask(args *protocol.GetTaskArgs, reply *protocol.GetTaskReply) error {
	poll := time.NewTimer(c.cfg.PollTimeout)
	defer poll.Stop()
	for {
		c.mu.Lock()
		info, err := c.checkCallerLocked(args.Header)
		if err != nil {
			c.mu.Unlock()
			return err
		}
		if c.offerLocked(args.Worker, info, reply) {
			c.unlockAndPersist(record{begun: begun(reply)})
			c.logOffer(args.Header, reply)
			return nil
		}
		changed := c.changed
		c.mu.Unlock()
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
		reply.MapAttempts, reply.Servers = c.mapOutputsLocked()
	}
	// The reaper must learn of the new lease.
	c.notifyLocked()
	return true
}

// mapOutputsLocked returns the committed attempt of every map task and
// where its output is, run length encoded, from a cache while no commit
// has changed.
func (c *Coordinator) mapOutputsLocked() (protocol.AttemptRuns, []string) {
	if v := c.table.MapCommitsVersion(); v != c.mapOutputsVersion || c.mapOutputs == nil {
		attempts := make([]int, c.table.Maps())
		at := make([]int, len(attempts))
		servers := []string{""}
		index := map[string]int{"": 0}
		for m := range attempts {
			commit, ok := c.table.MapCommit(m)
			out := mapOutput(commit)
			if !ok {
				out.Attempt = protocol.Pending
			}
			i, known := index[out.Server]
			if !known {
				i = len(servers)
				index[out.Server] = i
				servers = append(servers, out.Server)
			}
			attempts[m], at[m] = out.Attempt, i
		}
		c.mapOutputs, c.mapServers, c.mapOutputsVersion = protocol.CompressAttempts(attempts, at), servers, v
	}
	return c.mapOutputs, c.mapServers
}

// mapOutput is what a reducer is told of a map task's commit: which
// attempt's output to read (none for a skipped task), and where.
func mapOutput(commit table.Commit) protocol.MapOutput {
	out := protocol.MapOutput{Map: commit.Attempt.Task.Index, Attempt: commit.Attempt.Attempt, Server: commit.Server}
	if commit.Skipped {
		out.Attempt = protocol.NoOutput
	}
	return out
}

// begun returns the attempt that reply hands out, if it hands one out:
// it is made durable before the worker hears of it, so that cleanup after
// a restart knows of every file the attempt may write.
func begun(reply *protocol.GetTaskReply) *task.AttemptID {
	if reply == nil || reply.Action != protocol.ActionRun {
		return nil
	}
	return &reply.Attempt
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

// abort fails the job with err, typically a journal that cannot be
// written: a restart could no longer trust it.
func (c *Coordinator) abort(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table.Abort(err)
	c.logFailureLocked()
	c.notifyLocked()
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
