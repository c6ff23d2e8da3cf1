package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/merge"
	"6.5840/mr/protocol"
	"6.5840/mr/shuffle"
	"6.5840/mr/task"
)

// locateFunc reports map outputs a reduce attempt could not read, and
// waits for where the outputs of the map tasks in want are (MapOutputs).
type locateFunc func(ctx context.Context, lost []protocol.LostOutput, want []int) (protocol.MapOutputsReply, error)

// errYield ends a reduce attempt that gave way so that its worker can run
// the map tasks it waits for.
var errYield = errors.New("gave way to re-run lost map outputs")

// lostOutputError is a committed map output that could not be read.
type lostOutputError struct {
	Map task.AttemptID
	Err error
}

func (e *lostOutputError) Error() string { return fmt.Sprintf("output of %v lost: %v", e.Map, e.Err) }
func (e *lostOutputError) Unwrap() error { return e.Err }

// reduceAttempt is one reduce attempt to run.
type reduceAttempt struct {
	app app.App
	// dir is the job's shared folder, where the staged output goes and
	// map outputs without a server are; localDir holds this worker's own
	// map outputs and its fetched copies of others'.
	dir, localDir string
	id            task.AttemptID
	// nReduce is the job's number of partitions.
	nReduce int
	// mapAttempts holds the committed attempt of every map task, or
	// protocol.NoOutput or protocol.Pending; servers where each is served
	// ("" for the shared folder; nil means "" for all).
	mapAttempts []int
	servers     []string
	// self is where this worker serves its own map output, which it reads
	// from localDir; fetcher gets the others'. Both are unset on one
	// machine.
	self    string
	fetcher *shuffle.Fetcher
	// locate finds outputs that were lost or pending.
	locate locateFunc
	// setStatus, if set, takes the application's status messages.
	setStatus func(string)
}

// reduceStats counts what a reduce attempt did.
type reduceStats struct {
	groups, records int64
	// fetched counts the bytes of map output fetched from other workers.
	fetched int64
}

// staged returns the path of the attempt's staged output, which the
// coordinator renames to mr-out-R if the attempt commits.
func (at reduceAttempt) staged() string {
	return filepath.Join(at.dir, jobfiles.StagedOutput(at.id.Task.Index, at.id.Attempt))
}

// write gathers this partition of every committed map output, merges them,
// calls Reduce once per key in key order, and leaves the result, synced,
// as the staged output, which it returns. A map output found missing or
// damaged before Reduce sees any record (while fetching it, opening it, or
// merging it in a batch) is reported lost and waited for; one found
// damaged while its records stream into Reduce ends the attempt with a
// lostOutputError.
func (at reduceAttempt) write(ctx context.Context) ([]string, reduceStats, error) {
	var stats reduceStats
	g := gathering{at: at, found: make([]*sortedInput, len(at.mapAttempts))}
	defer g.removeFetched()
	merged, err := g.open(ctx)
	stats.fetched = g.fetched
	if err != nil {
		return nil, stats, err
	}
	defer merged.Close()
	out, err := atomicfile.Create(at.staged(), atomicfile.Durable, jobfiles.TempPrefix)
	if err != nil {
		return nil, stats, err
	}
	defer out.Abort()
	var groups reduceStats
	if at.app.ReduceTask != nil {
		groups, err = reduceTask(ctx, at.app, at.appAttempt(), merged, out)
	} else {
		groups, err = reduceGroups(ctx, at.app, merged, out)
	}
	stats.groups, stats.records = groups.groups, groups.records
	if err != nil {
		return nil, stats, err
	}
	if err := ctx.Err(); err != nil {
		return nil, stats, err
	}
	if err := out.Commit(); err != nil {
		return nil, stats, err
	}
	return []string{at.staged()}, stats, nil
}

// gathering is the state of a reduce attempt finding its inputs.
type gathering struct {
	at reduceAttempt
	// found holds each map task's input once found.
	found []*sortedInput
	// lost and want are the outputs to report lost and the map tasks to
	// ask for, at the next MapOutputs call.
	lost []protocol.LostOutput
	want []int
	// remote holds the outputs to fetch from other workers.
	remote []shuffle.Source
	// fetchedPaths lists the local copies of fetched sections, removed at
	// the end; fetched counts their bytes.
	fetchedPaths []string
	fetched      int64
}

// open gathers this partition's section of every map output and opens
// them as one merged stream. It retries for as long as it finds outputs
// lost (each reported, and waited for) before any record was handed out.
func (g *gathering) open(ctx context.Context) (*mergedFiles, error) {
	for m, a := range g.at.mapAttempts {
		if a == protocol.Pending {
			g.want = append(g.want, m)
			continue
		}
		g.take(m, a, g.server(m))
	}
	r, attempt := g.at.id.Task.Index, g.at.id.Attempt
	for {
		inputs, err := g.gather(ctx)
		if err != nil {
			return nil, err
		}
		merged, err := mergeFiles(inputs, func(n int) string {
			return filepath.Join(g.at.localDir, jobfiles.MergeRun(r, attempt, n))
		})
		var lost *lostOutputError
		if !errors.As(err, &lost) {
			return merged, err
		}
		// Found while opening or batch-merging: no record has reached
		// Reduce, so the attempt can wait for the output to be made again.
		g.found[lost.Map.Task.Index] = nil
		g.markLost(lost.Map, lost.Err)
	}
}

// gather returns this partition's section of every map output, in map
// task order: in place in the shared folder or this worker's folder
// (opened later, by the merge), or fetched from the worker that serves it
// and checked end to end. It reports the ones it cannot get as lost, and
// waits for those and the pending ones to be made again.
func (g *gathering) gather(ctx context.Context) ([]sortedInput, error) {
	g.fetchRemote(ctx)
	for len(g.want) > 0 {
		reply, err := g.at.locate(ctx, g.lost, g.want)
		switch {
		case err != nil:
			return nil, err
		case reply.Revoked:
			return nil, errRevoked
		case reply.Yield:
			return nil, errYield
		}
		waiting := g.want
		g.lost, g.want = nil, nil
		arrived := make(map[int]protocol.OutputLocation, len(reply.Outputs))
		for _, o := range reply.Outputs {
			arrived[o.Map] = o
		}
		for _, m := range waiting {
			if o, ok := arrived[m]; ok {
				g.take(m, o.Attempt, o.Server)
			} else {
				g.want = append(g.want, m)
			}
		}
		g.fetchRemote(ctx)
	}
	inputs := make([]sortedInput, 0, len(g.found))
	for _, in := range g.found {
		if in != nil {
			inputs = append(inputs, *in)
		}
	}
	return inputs, nil
}

// server returns where map task m's output is served, "" for the shared
// folder.
func (g *gathering) server(m int) string {
	if g.at.servers == nil {
		return ""
	}
	return g.at.servers[m]
}

// take finds map task m's output, attempt a, served by server: in place if
// it is in a folder of this machine, else queued to be fetched.
func (g *gathering) take(m, a int, server string) {
	if a == protocol.NoOutput {
		return
	}
	owner := task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: a}
	dir := g.at.dir
	switch {
	case server == "":
	case server == g.at.self:
		dir = g.at.localDir
	case g.at.fetcher == nil:
		g.markLost(owner, fmt.Errorf("served by %s, but this worker fetches nothing (it has no secret)", server))
		return
	default:
		g.remote = append(g.remote, shuffle.Source{Server: server, Map: m, Attempt: a})
		return
	}
	g.found[m] = &sortedInput{path: filepath.Join(dir, jobfiles.Intermediate(m, a)), section: g.at.id.Task.Index, owner: owner}
}

func (g *gathering) markLost(owner task.AttemptID, err error) {
	g.lost = append(g.lost, protocol.LostOutput{Map: owner, Reason: err.Error()})
	g.want = append(g.want, owner.Task.Index)
}

// fetchRemote fetches the queued outputs into local copies, a few at a
// time, each retried with backoff; those it cannot get are lost.
func (g *gathering) fetchRemote(ctx context.Context) {
	if len(g.remote) == 0 {
		return
	}
	sources := g.remote
	g.remote = nil
	r, attempt := g.at.id.Task.Index, g.at.id.Attempt
	copyPath := func(s shuffle.Source) string {
		return filepath.Join(g.at.localDir, jobfiles.Fetched(r, attempt, s.Map, s.Attempt))
	}
	before := g.at.fetcher.Stats()
	errs := g.at.fetcher.FetchAll(ctx, sources, r, func(s shuffle.Source) (shuffle.Destination, error) {
		return atomicfile.Create(copyPath(s), atomicfile.Volatile, jobfiles.TempPrefix)
	})
	g.fetched += g.at.fetcher.Stats().Bytes - before.Bytes
	for i, s := range sources {
		owner := task.AttemptID{Task: task.ID{Kind: task.Map, Index: s.Map}, Attempt: s.Attempt}
		if errs[i] != nil {
			g.markLost(owner, errs[i])
			continue
		}
		path := copyPath(s)
		g.fetchedPaths = append(g.fetchedPaths, path)
		g.found[s.Map] = &sortedInput{path: path, section: -1, owner: owner}
	}
}

// removeFetched removes the local copies of fetched sections.
func (g *gathering) removeFetched() {
	removeFiles(g.fetchedPaths)
}

// lineWriter is where reduce output lines go: a buffered file.
type lineWriter interface {
	io.Writer
	io.StringWriter
	io.ByteWriter
}

// reduceGroups reads sorted records from in, calls Reduce once per key with
// that key's values, and writes "key result" lines to out, the lab's
// format ("%v %v\n"). Once ctx ends it calls Reduce no more: a Reduce can
// be slow, and every call after the attempt was revoked is wasted and
// delays the worker (it gives a revoked attempt only StuckGrace to return).
func reduceGroups(ctx context.Context, a app.App, in merge.Source, out lineWriter) (reduceStats, error) {
	var stats reduceStats
	done := ctx.Done()
	err := forEachGroup(in, func(key string, values []string) error {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		stats.groups++
		var result string
		if err := safeCall("Reduce", func() { result = a.Reduce(key, values) }); err != nil {
			return err
		}
		out.WriteString(key)
		out.WriteByte(' ')
		out.WriteString(result)
		stats.records++
		return out.WriteByte('\n')
	})
	return stats, err
}

// appAttempt describes the attempt to a task-level Reduce.
func (at reduceAttempt) appAttempt() app.Attempt {
	return app.Attempt{ID: at.id.String(), Task: at.id.Task.String(),
		NReduce: at.nReduce, Partition: at.id.Task.Index, Dir: at.dir, SetStatus: at.setStatus}
}

// reduceTask hands the sorted records of in to the application's
// ReduceTask, which writes the partition's output to out as it is. It
// counts the groups it reads and the lines it writes.
func reduceTask(ctx context.Context, a app.App, at app.Attempt, in merge.Source, out io.Writer) (reduceStats, error) {
	counted := &groupCounter{in: in}
	lines := &lineCounter{w: out}
	err := a.ReduceTask(ctx, at, counted, lines)
	return reduceStats{groups: counted.groups, records: lines.n}, err
}

// groupCounter passes records through, counting distinct keys.
type groupCounter struct {
	in      merge.Source
	last    string
	started bool
	groups  int64
}

func (g *groupCounter) Next() (string, string, error) {
	key, value, err := g.in.Next()
	if err == nil && (!g.started || key != g.last) {
		g.started, g.last = true, key
		g.groups++
	}
	return key, value, err
}

// lineCounter passes bytes through, counting newlines.
type lineCounter struct {
	w io.Writer
	n int64
}

func (l *lineCounter) Write(p []byte) (int, error) {
	l.n += int64(bytes.Count(p, []byte{'\n'}))
	return l.w.Write(p)
}
