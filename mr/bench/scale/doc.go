// Package scale simulates a large cluster against the real coordinator:
// it starts the mrcoordinator binary over authenticated TCP on loopback,
// with a secret of its own, and runs many simulated workers in this
// process that speak the real worker protocol and do no work.
//
// The job is one sparse input file of Maps bytes cut by -split-size 1
// into Maps one-byte map tasks: a million map tasks need no million
// files. Each simulated worker has its own two connections, as a real
// worker does (one for its calls, one for its heartbeats), dialed from a
// loopback address of its own (127.0.0.0/8), so the coordinator sees as
// many hosts as workers and its per-host handshake limits apply as in a
// real cluster. Dials are ramped up by a bound on the handshakes in
// flight, kept under the coordinator's own bound on concurrent
// handshakes, past which it drops the oldest.
//
// A worker registers with a Server address, as a TCP worker does (so
// that reduce replies name where every map output is), long-polls
// GetTask, "runs" a task for Config.TaskTime while it heartbeats at the
// interval Register gave, and reports success with WantTask, taking its
// next task from the reply. A reduce attempt checks that its reply names
// a committed attempt and a server for every map task (asking MapOutputs
// for those being re-run), and leaves an empty staged output for the
// coordinator to publish.
//
// The figures: the wall time from the first hand-out to the
// coordinator's exit, tasks per second, V (attempts revoked while their
// worker was alive and heartbeating: load must never cost a lease), the
// coordinator's peak RSS and CPU time (from wait4), and the latency of
// the calls that hand out work (GetTask answered with a task, and Report
// with WantTask) and of heartbeats. One worker can be dropped on purpose
// (Config.DropWorker): its connections close mid-attempt, and the
// coordinator must revoke its attempt and re-run its tasks elsewhere;
// those revocations are counted apart from V.
package scale
