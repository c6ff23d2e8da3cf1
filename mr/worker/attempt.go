package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/filemerge"
	"6.5840/mr/jobfiles"
	"6.5840/mr/kvbuf"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
	"6.5840/mr/totalorder"
)

// result is what running an attempt produced.
type result struct {
	// files lists the files only this attempt owns: its map output, or
	// its staged reduce output. extent is where a map output in the
	// worker's segment file is: a file it shares.
	files    []string
	extent   jobfiles.Extent
	counters map[string]int64
	// keys are a sample attempt's sampled keys.
	keys []string
	// upload is a reduce attempt's output in a bucket, pending.
	upload *protocol.Upload
	err    error
}

// runAttempt runs one attempt with heartbeats and reports its result. It
// returns the next task if the coordinator sent one with its answer, and
// the request id that brought it; an error only when the worker should
// stop.
func (w *Worker) runAttempt(ctx context.Context, requestID string, reply *protocol.GetTaskReply) (*protocol.GetTaskReply, string, error) {
	log := w.log.With("attempt", reply.Attempt)
	// Per-attempt records are debug: the coordinator logs every attempt's
	// start and end at info, with the same request ids, and a worker that
	// writes two lines per tiny task spends a good part of it logging.
	log.Debug("attempt started", "req", requestID, "input", reply.Input.String(), "backup", reply.Backup)
	start := time.Now()

	attemptCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	clock := newLeaseClock(w.lease)
	status := new(attemptStatus)
	stopBeats := w.startHeartbeat(attemptCtx, cancel, reply.Attempt, clock, status)

	mr.TakeCounts() // drop counts made outside any attempt
	out, err := w.watch(attemptCtx, reply.Attempt, func() result { return w.perform(attemptCtx, reply, clock, status) })
	if err != nil {
		// The heartbeat connection outlives the attempt: let go of it.
		stopBeats()
		return nil, "", err
	}
	cause := context.Cause(attemptCtx)
	abandoned := errors.Is(cause, errRevoked) || errors.Is(cause, errLeaseLost) || errors.Is(out.err, errLeaseLost)
	stopBeats()
	// An attempt that was never reported cannot have committed: its files
	// can go.
	if ctx.Err() != nil {
		removeFiles(out.files)
		return nil, "", ctx.Err()
	}
	if abandoned {
		removeFiles(out.files)
		w.abortUpload(out.upload)
		log.Warn("attempt abandoned", "reason", cause, "elapsed", time.Since(start))
		w.cutOff = errors.Is(cause, errLeaseLost) || errors.Is(out.err, errLeaseLost)
		if w.cutOff {
			// The coordinator has been silent since the last heartbeat
			// got through: the retry window started then.
			w.calls.silent(clock.lastRenewal())
		}
		return nil, "", nil
	}
	for name, n := range mr.TakeCounts() {
		out.counters[name] += n
	}
	return w.report(ctx, log, reply.Attempt, out, start)
}

// watch runs the attempt's work and returns its result. Once ctx ends
// (the attempt was revoked, its lease lost, or the worker interrupted) the
// work has StuckGrace to return; if it does not, Map or Reduce is stuck
// where the worker cannot stop it, and watch returns ErrAttemptStuck.
func (w *Worker) watch(ctx context.Context, id task.AttemptID, work func() result) (result, error) {
	done := make(chan result, 1)
	go func() { done <- work() }()
	select {
	case out := <-done:
		return out, nil
	case <-ctx.Done():
	}
	timer := time.NewTimer(w.cfg.StuckGrace)
	defer timer.Stop()
	select {
	case out := <-done:
		return out, nil
	case <-timer.C:
		return result{}, fmt.Errorf("attempt %v: %w within %v after the attempt ended (%v); "+
			"exiting so that a fresh worker can take its place", id, ErrAttemptStuck, w.cfg.StuckGrace, context.Cause(ctx))
	}
}

// perform runs the attempt's task.
func (w *Worker) perform(ctx context.Context, reply *protocol.GetTaskReply, clock *leaseClock, status *attemptStatus) result {
	switch reply.Attempt.Task.Kind {
	case task.Sample:
		at := mapAttempt{app: w.cfg.App, jobDir: w.cfg.Dir, id: reply.Attempt, input: reply.Input,
			nReduce: reply.NReduce, setStatus: status.set, bucket: w.bucket}
		keys, err := at.sample(ctx)
		return result{counters: map[string]int64{}, keys: keys, err: err}
	case task.Map:
		return w.performMap(ctx, reply, clock, status)
	case task.Reduce:
		return w.performReduce(ctx, reply, status)
	default:
		return result{counters: map[string]int64{}, err: fmt.Errorf("unknown task kind %v", reply.Attempt.Task.Kind)}
	}
}

// performMap runs a map attempt.
func (w *Worker) performMap(ctx context.Context, reply *protocol.GetTaskReply, clock *leaseClock, status *attemptStatus) result {
	app, err := w.mapApp(reply)
	if err != nil {
		return result{counters: map[string]int64{}, err: err}
	}
	at := mapAttempt{
		app:        app,
		dir:        w.cfg.LocalDir,
		jobDir:     w.cfg.Dir,
		id:         reply.Attempt,
		input:      reply.Input,
		nReduce:    reply.NReduce,
		sortBuffer: w.cfg.SortBuffer,
		mayCommit:  func() error { return leaseHeld(ctx, clock) },
		buf:        w.mapBuffer(app, reply.NReduce, reply.TotalOrder),
		setStatus:  status.set,
		bucket:     w.bucket,
		segment:    w.segment,
		segmentMax: w.cfg.SegmentMax,
	}
	files, extent, stats, err := at.write(ctx)
	counters := map[string]int64{
		protocol.CounterMapInputBytes:    stats.inputBytes,
		protocol.CounterMapOutputRecords: stats.outputRecords,
		protocol.CounterSpills:           stats.spills,
		protocol.CounterBytesWritten:     stats.outputBytes,
	}
	if w.cfg.App.Combine != nil || w.cfg.App.CombineTask != nil {
		counters[protocol.CounterCombineOutputRecords] = stats.writtenRecords
	}
	return result{files: files, extent: extent, counters: counters, err: err}
}

// performReduce runs a reduce attempt.
func (w *Worker) performReduce(ctx context.Context, reply *protocol.GetTaskReply, status *attemptStatus) result {
	calls := &reduceCalls{w: w, id: reply.Attempt}
	defer calls.close()
	attempts, servers, extents, err := calls.locations(ctx, reply.MapLocations)
	if err != nil {
		return result{err: err}
	}
	at := reduceAttempt{
		app:         w.cfg.App,
		dir:         w.cfg.Dir,
		localDir:    w.cfg.LocalDir,
		id:          reply.Attempt,
		nReduce:     reply.NReduce,
		mapAttempts: attempts,
		servers:     servers,
		extents:     extents,
		locate:      calls.locate,
		setStatus:   status.set,
		output:      reply.Output,
		bucket:      w.bucket,
	}
	if w.shuffle != nil {
		at.self, at.fetcher = w.shuffle.addr, w.shuffle.currentFetcher()
	}
	var out result
	var stats reduceStats
	var written int64
	if at.output != "" {
		out.upload, stats, out.err = at.writeUpload(ctx)
		written = uploadSize(out.upload)
	} else {
		out.files, stats, out.err = at.write(ctx)
		written = totalSize(out.files)
	}
	out.counters = map[string]int64{
		protocol.CounterReduceInputGroups:   stats.groups,
		protocol.CounterReduceOutputRecords: stats.records,
		protocol.CounterBytesWritten:        written,
	}
	if stats.fetched > 0 {
		out.counters[protocol.CounterShuffleBytesFetched] = stats.fetched
	}
	return out
}

// mapBuffer returns the worker's buffer of a's map output for nReduce
// partitions, by range under totalOrder, empty, made on first use and
// again when the partitioning changes.
func (w *Worker) mapBuffer(a app.App, nReduce int, totalOrder bool) *kvbuf.Buffer {
	if w.mapBuf == nil || w.mapBufReduces != nReduce || w.mapBufTotalOrder != totalOrder {
		w.mapBuf, w.mapBufReduces, w.mapBufTotalOrder = newMapBuffer(a, nReduce), nReduce, totalOrder
	}
	return w.mapBuf
}

// mapApp returns the application a map attempt runs: the worker's, with
// a range Partition by the job's split points for a job in total order.
func (w *Worker) mapApp(reply *protocol.GetTaskReply) (app.App, error) {
	a := w.cfg.App
	if !reply.TotalOrder {
		return a, nil
	}
	if w.splits == nil {
		return a, fmt.Errorf("map task %v of a job in total order came without its split points", reply.Attempt)
	}
	splits := w.splits.Keys
	a.Partition = func(key string, _ int) int { return totalorder.Partition(splits, key) }
	return a, nil
}

// takeSplits keeps the split points that came with reply, if any; a
// buffer partitioned by others is dropped.
func (w *Worker) takeSplits(reply *protocol.GetTaskReply) {
	if reply.Splits != nil {
		w.splits, w.mapBuf = reply.Splits, nil
	}
}

// serverNames returns the server address of every map task, from the
// indexes of a reduce assignment into its list of servers; an index out of
// range names no server, the shared folder.
func serverNames(indexes []int, servers []string) []string {
	names := make([]string, len(indexes))
	for m, i := range indexes {
		if i >= 0 && i < len(servers) {
			names[m] = servers[i]
		}
	}
	return names
}

// leaseHeld returns why the attempt may no longer write its output: it
// was cancelled, or its lease may have run out.
func leaseHeld(ctx context.Context, clock *leaseClock) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if !clock.held() {
		return errLeaseLost
	}
	return nil
}

// reduceCalls are a reduce attempt's calls to the coordinator, on a
// connection of its own dialed at the first: the pages of map locations
// after the first, and the reports of lost map outputs.
type reduceCalls struct {
	w     *Worker
	id    task.AttemptID
	calls *client
}

// client returns the attempt's connection, dialing it on first use.
func (r *reduceCalls) client() *client {
	if r.calls == nil {
		r.calls = r.w.newClient(r.w.cfg.RetryWindow, r.w.cfg.CallTimeout)
	}
	return r.calls
}

// locate reports map outputs the attempt could not read and waits for map
// outputs; it is the attempt's locateFunc.
func (r *reduceCalls) locate(ctx context.Context, lost []protocol.LostOutput, want []int) (protocol.MapOutputsReply, error) {
	args := protocol.MapOutputsArgs{Header: r.w.header(), Attempt: r.id, Lost: lost, Want: want}
	var reply protocol.MapOutputsReply
	err := r.client().callWait(ctx, protocol.MethodMapOutputs, r.w.pollTimeout, &args, &reply)
	if err == nil && reply.UnknownWorker {
		return protocol.MapOutputsReply{Revoked: true}, nil
	}
	return reply, err
}

// locations returns the committed attempt and the server of every map
// task, from first, the page of map locations the assignment came with,
// and the pages after it.
func (r *reduceCalls) locations(ctx context.Context, first protocol.LocationPage) (attempts []int, servers []string, extents []jobfiles.Extent, err error) {
	fetch := func(from, known int) (protocol.LocationPage, error) {
		args := protocol.MapLocationsArgs{Header: r.w.header(), Attempt: r.id, From: from, KnownServers: known}
		var reply protocol.MapLocationsReply
		if err := r.client().call(ctx, protocol.MethodMapLocations, &args, &reply); err != nil {
			return protocol.LocationPage{}, err
		}
		if reply.UnknownWorker || reply.Revoked {
			return protocol.LocationPage{}, errRevoked
		}
		return reply.Page, nil
	}
	locs := protocol.Locations{Attempts: make([]int, 0, first.Maps), Servers: make([]int, 0, first.Maps)}
	table, err := protocol.GatherLocations(first, fetch, locs.Add)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("map locations: %w", err)
	}
	return locs.Attempts, serverNames(locs.Servers, table), locs.Extents, nil
}

// close closes the attempt's connection, if it was dialed.
func (r *reduceCalls) close() {
	if r.calls != nil {
		r.calls.close()
	}
}

// report tells the coordinator how the attempt ended and deletes its files
// if, and only if, the coordinator answers that it did not commit.
func (w *Worker) report(ctx context.Context, log *slog.Logger, id task.AttemptID, out result, start time.Time) (*protocol.GetTaskReply, string, error) {
	args := protocol.ReportArgs{Header: w.header(), Attempt: id, Counters: out.counters, WantTask: true,
		HaveSplits: w.splits != nil, Keys: out.keys, Upload: out.upload, Extent: out.extent}
	var lost *filemerge.LostError
	switch {
	case errors.As(out.err, &lost):
		args.Lost = []protocol.LostOutput{{Map: lost.Map, Reason: lost.Err.Error()}}
	case errors.Is(out.err, errYield):
		args.Yielded = true
	}
	if out.err != nil {
		args.Error = out.err.Error()
		if args.Lost == nil && !args.Yielded {
			log.Error("attempt failed", "req", args.RequestID, "err", out.err)
		}
	}
	// A map output is served from the moment its report is sent: the
	// coordinator may commit it and hand its location to a reducer
	// before this worker hears the answer.
	holdsOutput := id.Task.Kind == task.Map && out.err == nil
	if holdsOutput {
		w.held.add(id, false)
	}
	var reply protocol.ReportReply
	err := w.calls.call(ctx, protocol.MethodReport, &args, &reply)
	switch {
	case err != nil:
		// The attempt may have committed before the answer was lost, or
		// before the coordinator restarted: keep its files. The
		// coordinator removes them at the end if it did not commit.
		log.Warn("no answer to the report; keeping the attempt's files", "req", args.RequestID, "err", err)
	case reply.UnknownWorker:
		// The coordinator restarted: the attempt may have committed
		// before it did. Keep its files, as without an answer.
		log.Warn("the coordinator does not know this worker (it restarted?); keeping the attempt's files", "req", args.RequestID)
	case reply.Verdict != protocol.VerdictCommitted:
		if holdsOutput {
			w.held.forget(id)
		}
		removeFiles(out.files)
	case holdsOutput:
		w.held.add(id, true)
	}
	if err != nil {
		return nil, "", err
	}
	if reply.UnknownWorker {
		return nil, "", nil
	}
	log.Debug("attempt reported", "req", args.RequestID, "verdict", reply.Verdict, "elapsed", time.Since(start))
	return reply.Next, args.RequestID, nil
}

// totalSize returns the summed size of the files at paths.
func totalSize(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if info, err := os.Stat(p); err == nil {
			n += info.Size()
		}
	}
	return n
}

// uploadSize returns the size of u's parts; 0 for none.
func uploadSize(u *protocol.Upload) int64 {
	var n int64
	if u != nil {
		for _, p := range u.Parts {
			n += p.Size
		}
	}
	return n
}

// removeFiles removes the files of an attempt that did not commit.
func removeFiles(paths []string) {
	for _, p := range paths {
		os.Remove(p)
	}
}
