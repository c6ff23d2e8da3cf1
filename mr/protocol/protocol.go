// Package protocol defines the RPCs between workers and the coordinator:
// their method names, messages, limits and the names of the engine's
// counters. It holds no connection code and imports no network package;
// mr/transport dials, listens and authenticates.
//
// A worker calls Register once, then loops: GetTask long-polls until the
// coordinator has a task for it, tells it to wait, or tells it to exit.
// While a task runs the worker calls Heartbeat, whose reply says whether
// the attempt has been revoked; at the end it calls Report with how the
// attempt ended, and hears the coordinator's verdict. A reduce attempt's
// assignment carries the first page of the map locations (which attempt
// of every map task committed, and where its output is served); the
// attempt calls MapLocations for the pages after it. A reduce attempt
// that cannot read a committed map output calls MapOutputs: it reports
// the output lost, and long-polls for where the re-run map's output is.
// Verdicts and the like travel in reply fields, not errors, because
// net/rpc flattens errors to strings.
//
// A job in total order starts with sample tasks, whose reports carry the
// keys they sampled; every map task after them partitions by the split
// points picked from those keys, which a worker is sent once (it says in
// GetTask whether it has them).
//
// Each coordinator start has an epoch, a random id that Register returns
// and every later request repeats. A request from another epoch (made
// before the coordinator restarted) is answered with UnknownWorker set in
// its reply (ReplyHeader), and the worker registers again.
//
// Register also returns the worker's session, an unguessable token that
// every later request of that worker repeats: a request speaks only for
// the worker that registered, so one worker (or anyone else holding the
// job's secret) cannot report or renew another's attempts. A request
// whose session does not match its worker's is refused (ErrWrongSession)
// and changes nothing.
package protocol

import (
	"fmt"
	"time"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// RPC method names, served by a receiver registered as ServiceName.
const (
	ServiceName     = "Coordinator"
	MethodRegister  = ServiceName + ".Register"
	MethodGetTask   = ServiceName + ".GetTask"
	MethodHeartbeat = ServiceName + ".Heartbeat"
	MethodReport    = ServiceName + ".Report"
	// MethodMapOutputs is called by a reduce attempt that lacks map outputs.
	MethodMapOutputs = ServiceName + ".MapOutputs"
	// MethodMapLocations is called by a reduce attempt for the pages of
	// map locations after the first.
	MethodMapLocations = ServiceName + ".MapLocations"
)

// WorkerID identifies a registered worker. A coordinator restarted on a
// job numbers new workers after every worker of its earlier starts.
type WorkerID int

// Header starts every request after Register: who sends it, the epoch it
// registered in, its session, and a request id that both sides log, so
// one call can be followed across processes.
type Header struct {
	Worker WorkerID
	Epoch  string
	// Session is the token Register gave the worker.
	Session   string
	RequestID string
	// peer is where the request came from, set by the server, never sent.
	peer string
}

// SetPeer records where the request came from, for the server's logs.
func (h *Header) SetPeer(peer string) { h.peer = peer }

// Peer returns where the request came from, or "" if unknown.
func (h *Header) Peer() string { return h.peer }

// RequestIDFor returns the request id of a worker's seq-th call.
func RequestIDFor(w WorkerID, seq uint64) string { return fmt.Sprintf("w%d-%d", w, seq) }

// RegisterArgs introduces a worker.
type RegisterArgs struct {
	Host string
	PID  int
	// Server is the address (host:port) where the worker serves its map
	// output, or "" when it leaves its map output in the job's shared
	// folder. A worker with a server that stops calling for a lease is
	// lost, and so is the map output it served.
	Server string
	// App identifies the application the worker runs (a hash of the
	// plugin file); every worker of a job must run the same one.
	App string
	// Partition says the application exports Partition, which a job in
	// total order refuses: it partitions by its split points.
	Partition bool
}

// RegisterReply assigns the worker its id and tells it the job's shape.
type RegisterReply struct {
	// Refused, if set, says why the worker may not join this job (it
	// runs another application); the worker should exit.
	Refused string
	Worker  WorkerID
	Epoch   string
	// Session is the worker's token: every later request repeats it in
	// its Header.
	Session string
	// Job identifies the job, the same across coordinator restarts:
	// requests for map output name it, so a server never answers for
	// another job.
	Job               string
	NReduce           int
	HeartbeatInterval time.Duration
	// Lease is how long an attempt lives without a heartbeat: a worker
	// that could not heartbeat for that long abandons its attempt.
	Lease time.Duration
	// PollTimeout is the longest GetTask and MapOutputs wait before they
	// answer, which the worker adds to those calls' deadlines.
	PollTimeout time.Duration
	// TotalOrder says the job is in total order (set on a refusal too).
	TotalOrder bool
}

// Action tells a worker what to do next.
type Action uint8

// The actions of a GetTask reply.
const (
	ActionWait Action = iota + 1 // nothing to do yet: ask again
	ActionRun                    // run the task in the reply
	ActionExit                   // the job is over: exit
)

// String returns the action's name.
func (a Action) String() string {
	switch a {
	case ActionWait:
		return "wait"
	case ActionRun:
		return "run"
	case ActionExit:
		return "exit"
	default:
		return fmt.Sprintf("action(%d)", uint8(a))
	}
}

// GetTaskArgs asks for a task.
type GetTaskArgs struct {
	Header
	// HaveSplits says the worker holds the job's split points already:
	// a map task of a job in total order then comes without them.
	HaveSplits bool
}

// SampleKeys is how many keys a sample attempt keeps (a reservoir over
// every key its Map emits) and reports, at most: with keys cut to
// totalorder.MaxKeyBytes, a report stays well under MaxRequestBytes.
const SampleKeys = 10_000

// SplitPoints are the split points of a job in total order: a map task
// sends key k to partition totalorder.Partition(Keys, k).
type SplitPoints struct {
	Keys []string
}

// GetTaskReply answers GetTask. For ActionRun it describes the attempt.
type GetTaskReply struct {
	ReplyHeader
	Action  Action
	Attempt task.AttemptID
	// Input is the map task's input: its Path is exactly as given to the
	// coordinator, and a split also has a byte range.
	Input   task.Input
	NReduce int
	// MapLocations, for a reduce task, is the first page of the committed
	// attempt of every map task and where its output is: the reducer
	// reads exactly those outputs, and asks MapLocations for the other
	// pages. NoOutput marks a skipped map task, Pending one whose output
	// is being made again (ask MapOutputs).
	MapLocations LocationPage
	// Backup is set for a backup attempt of a straggler.
	Backup bool
	// TotalOrder is set for a map task of a job in total order: it
	// partitions by the job's split points, which come in Splits unless
	// the request said it had them. A sample task (task.Sample) runs Map
	// over Input and reports SampleKeys of the keys emitted.
	TotalOrder bool
	Splits     *SplitPoints
	// JobFailed is set with ActionExit when the job ended without success.
	JobFailed bool
	// Keep is set with ActionExit when the job keeps its intermediate
	// files: the worker leaves its map output where it is.
	Keep bool
	// Output, for a reduce task, is where the job's outputs go when not
	// in its folder: a prefix in a bucket, s3://BUCKET/PREFIX/. The
	// reducer streams its output to PREFIX/mr-out-R as a multipart upload
	// that it leaves pending and reports (ReportArgs.Upload).
	Output string
}

// HeartbeatArgs says an attempt is still running.
type HeartbeatArgs struct {
	Header
	Attempt task.AttemptID
	// Status is the latest status message the attempt's application
	// reported (a streaming command's reporter:status line), at most
	// MaxStatusBytes; "" if none.
	Status string
}

// MaxStatusBytes bounds an attempt's status message; the coordinator
// cuts a longer one.
const MaxStatusBytes = 256

// HeartbeatReply tells the worker whether to go on.
type HeartbeatReply struct {
	ReplyHeader
	// Revoked means the attempt no longer counts: abandon it and write
	// nothing more.
	Revoked bool
}

// ReportArgs ends an attempt.
type ReportArgs struct {
	Header
	Attempt task.AttemptID
	// Error is empty on success, else why the attempt failed.
	Error string
	// Lost lists committed map outputs this reduce attempt found missing
	// or damaged. Their maps run again, and the attempt's failure is not
	// held against its task.
	Lost []LostOutput
	// Yielded says the attempt gave way so that its worker can re-run
	// lost map outputs it waits for; not held against its task either.
	Yielded bool
	// Counters holds the attempt's counts: the engine's (Counter*) and
	// the application's. Only a committed attempt's are kept.
	Counters map[string]int64
	// WantTask asks for the worker's next task in the reply, saving a
	// GetTask round trip when one is ready; HaveSplits is as in
	// GetTaskArgs, for that task.
	WantTask   bool
	HaveSplits bool
	// Keys are a sample attempt's sampled keys, at most SampleKeys of at
	// most totalorder.MaxKeyBytes each.
	Keys []string
	// Upload is a reduce attempt's output in a bucket: a pending
	// multipart upload that the coordinator completes if the attempt
	// commits and aborts otherwise.
	Upload *Upload
	// Extent is where a map attempt's output is in this worker's segment
	// file, in the shared folder; the zero Extent when it has a file of
	// its own.
	Extent jobfiles.Extent
}

// Upload is a pending multipart upload of a reduce output.
type Upload struct {
	Bucket, Key, UploadID string
	Parts                 []UploadPart
}

// UploadPart is one uploaded part of an Upload.
type UploadPart struct {
	Number int
	ETag   string
	Size   int64
}

// Verdict is the coordinator's answer to a report: whether the attempt
// counts. A worker deletes the attempt's files for any verdict but
// VerdictCommitted.
type Verdict uint8

// The verdicts on a report.
const (
	VerdictCommitted Verdict = iota + 1 // this attempt is the task's result
	VerdictIgnored                      // stale, duplicate or revoked: dropped
	VerdictFailed                       // recorded as a failed attempt
	VerdictRejected                     // unknown worker, task or attempt
	VerdictReleased                     // ended without blame: the task runs again
)

// String returns the verdict's name.
func (v Verdict) String() string {
	switch v {
	case VerdictCommitted:
		return "committed"
	case VerdictIgnored:
		return "ignored"
	case VerdictFailed:
		return "failed"
	case VerdictRejected:
		return "rejected"
	case VerdictReleased:
		return "released"
	default:
		return fmt.Sprintf("verdict(%d)", uint8(v))
	}
}

// ReportReply answers Report.
type ReportReply struct {
	ReplyHeader
	Verdict Verdict
	// Next, if set, is the worker's next task (or exit), as GetTask would
	// have answered without waiting.
	Next *GetTaskReply
}

// The special values of a map task's attempt in MapLocations.
const (
	// NoOutput marks a map task that was skipped: there is nothing to read.
	NoOutput = 0
	// Pending marks a map task whose output was lost and is being made
	// again.
	Pending = -1
)

// LostOutput is a committed map output a reducer could not read.
type LostOutput struct {
	Map    task.AttemptID
	Reason string
}

// MapOutputsArgs reports map outputs that a reduce attempt could not read,
// and asks where the outputs of the map tasks it still needs are. It
// long-polls until one of them has an output.
type MapOutputsArgs struct {
	Header
	// Attempt is the reduce attempt asking.
	Attempt task.AttemptID
	Lost    []LostOutput
	// Want lists the map tasks whose outputs the attempt still needs.
	Want []int
}

// OutputLocation says which attempt of a map task committed, and where
// its output is: the reducer reads that attempt's output (none for
// NoOutput) from Server, or from the shared folder if Server is "".
type OutputLocation struct {
	Map     int
	Attempt int
	Server  string
	// Extent is where the output is in a segment file, if it is in one.
	Extent jobfiles.Extent
}

// MapOutputsReply answers MapOutputs.
type MapOutputsReply struct {
	ReplyHeader
	// Outputs holds the wanted map tasks that have an output now.
	Outputs []OutputLocation
	// Yield asks the attempt to end (see ReportArgs.Yielded): a map it
	// waits for is not running anywhere, so its worker may be needed to
	// run it.
	Yield bool
	// Revoked means the attempt no longer counts: abandon it.
	Revoked bool
}

// MaxRequestBytes bounds one gob message a coordinator reads from a
// worker. The largest request, a sample attempt's report with its keys,
// is at most about 650 KiB (SampleKeys keys of up to 64 bytes, and a
// byte or two of length each); a report with counters is a few KiB;
// gob itself would accept a length prefix of up to 8 GiB and allocate it
// before reading a byte of the message.
const MaxRequestBytes = 1 << 20

// ErrWrongSession is the error text of a request whose session is not
// its worker's: it is refused, and the worker should not register again.
const ErrWrongSession = "request refused: its session is not its worker's"

// ReplyHeader starts every reply to a request that carries a Header.
type ReplyHeader struct {
	// UnknownWorker means the coordinator does not know the worker (it
	// restarted, so the epoch differs, or the id is bogus): it did nothing
	// else, and the worker should register again.
	UnknownWorker bool
}

// Names of the counters the engine keeps for every committed attempt,
// beside those an application makes with mr.Count.
const (
	CounterMapInputBytes        = "map_input_bytes"
	CounterMapOutputRecords     = "map_output_records"
	CounterCombineOutputRecords = "combine_output_records"
	CounterSpills               = "spills"
	CounterReduceInputGroups    = "reduce_input_groups"
	CounterReduceOutputRecords  = "reduce_output_records"
	CounterBytesWritten         = "bytes_written"
	CounterShuffleBytesFetched  = "shuffle_bytes_fetched"
)
