package coordinator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"6.5840/mr/protocol"
)

// register is the Register RPC: it admits a worker running the job's
// application, gives it an id and a session, and tells it the job's shape
// and timing.
func (c *Coordinator) register(args *protocol.RegisterArgs, reply *protocol.RegisterReply) {
	reply.TotalOrder = c.cfg.TotalOrder
	if c.cfg.TotalOrder && args.Partition {
		reply.Refused = "this job runs with -total-order, which partitions by its sampled split points, " +
			"and the application exports Partition: a job in total order cannot use both; " +
			"remove Partition from the plugin, or run without -total-order"
		c.log.Warn("worker refused: its application exports Partition under -total-order", "host", args.Host, "pid", args.PID)
		return
	}
	c.mu.Lock()
	firstApp := false
	switch {
	case !c.appKnown:
		c.app, c.appKnown, firstApp = args.App, true, true
	case args.App != c.app:
		c.mu.Unlock()
		reply.Refused = fmt.Sprintf("this job runs another application (%s; yours is %s): "+
			"every worker of a job must run the same one, the same plugin file or the same -mapper, -reducer and -combiner commands and programs, "+
			"and a journaled job resumes only with the application it started with",
			describeApp(c.app), describeApp(args.App))
		c.log.Warn("worker refused: another application", "host", args.Host, "pid", args.PID, "app", short(args.App))
		return
	}
	session := make([]byte, sessionBytes)
	rand.Read(session)
	reply.Session = hex.EncodeToString(session)
	id := c.workers.add(workerInfo{host: args.Host, pid: args.PID, server: args.Server, session: reply.Session}, time.Now())
	c.growTimingLocked()
	timing := c.timing
	c.workers.byID[id].poll = timing.poll
	r := record{worker: id}
	if firstApp {
		r.app = args.App
	}
	c.unlockAndPersist(r)
	reply.Worker = id
	reply.Epoch = c.epoch
	reply.Job = c.jobID
	reply.NReduce = c.cfg.NReduce
	reply.HeartbeatInterval = timing.interval
	reply.Lease = timing.lease
	reply.PollTimeout = timing.poll
	c.log.Info("worker registered", "worker", id, "host", args.Host, "pid", args.PID, "server", args.Server)
}

// shortHash is how many characters of an application hash messages show.
const shortHash = 12

// short returns the first characters of an application hash, for
// messages.
func short(app string) string {
	if app == "" {
		return "(none)"
	}
	kind, hash, ok := strings.Cut(app, ":")
	if !ok {
		return app[:min(len(app), shortHash)]
	}
	return kind + ":" + hash[:min(len(hash), shortHash)]
}

// describeApp says what kind of application a fingerprint is, with its
// short hash: "plugin, sha256 0123abcd".
func describeApp(app string) string {
	kind, hash, ok := strings.Cut(app, ":")
	if app == "" || !ok {
		return "sha256 " + short(app)
	}
	return kind + ", sha256 " + hash[:min(len(hash), shortHash)]
}

// sessionBytes is the size of a worker's random session token: 128 bits,
// never guessed.
const sessionBytes = 16
