package worker

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"

	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/merge"
	"6.5840/mr/protocol"
	"6.5840/mr/reduceinput"
	"6.5840/mr/s3job"
	"6.5840/mr/shuffle"
	"6.5840/mr/task"
)

// locateFunc reports map outputs a reduce attempt could not read, and
// waits for where the outputs of the map tasks in want are (MapOutputs).
type locateFunc func(ctx context.Context, lost []protocol.LostOutput, want []int) (protocol.MapOutputsReply, error)

// errYield ends a reduce attempt that gave way so that its worker can run
// the map tasks it waits for.
var errYield = errors.New("gave way to re-run lost map outputs")

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
	// extents says where in a segment file each map output is, if in one
	// (nil for none).
	extents []jobfiles.Extent
	// self is where this worker serves its own map output, which it reads
	// from localDir; fetcher gets the others'. Both are unset on one
	// machine.
	self    string
	fetcher *shuffle.Fetcher
	// locate finds outputs that were lost or pending.
	locate locateFunc
	// setStatus, if set, takes the application's status messages.
	setStatus func(string)
	// output, if set, is the job's output prefix in a bucket
	// (s3://BUCKET/PREFIX/), written through bucket's client.
	output string
	bucket bucketFunc
}

// reduceStats counts what a reduce attempt did.
type reduceStats struct {
	groups, records int64
	// fetched counts the bytes of map output fetched from other workers.
	fetched int64
}

// locateOutputs reports lost map outputs and waits for those in want
// (see reduceinput.Locate); a reply that ends the attempt (revoked, or
// asked to give way) is its error.
func (at reduceAttempt) locateOutputs(ctx context.Context, lost []protocol.LostOutput, want []int) ([]protocol.OutputLocation, error) {
	reply, err := at.locate(ctx, lost, want)
	switch {
	case err != nil:
		return nil, err
	case reply.Revoked:
		return nil, errRevoked
	case reply.Yield:
		return nil, errYield
	}
	return reply.Outputs, nil
}

// staged returns the path of the attempt's staged output, which the
// coordinator renames to mr-out-R if the attempt commits.
func (at reduceAttempt) staged() string {
	return filepath.Join(at.dir, jobfiles.StagedOutput(at.id.Task.Index, at.id.Attempt))
}

// write reduces (see reduce) into the staged output, synced, and returns
// its path.
func (at reduceAttempt) write(ctx context.Context) ([]string, reduceStats, error) {
	stats, err := at.reduce(ctx, func() (reduceSink, error) {
		return atomicfile.Create(at.staged(), atomicfile.Durable, jobfiles.TempPrefix)
	})
	if err != nil {
		return nil, stats, err
	}
	return []string{at.staged()}, stats, nil
}

// writeUpload is write for an output in a bucket: it streams the output
// to the task's key in the job's output prefix as a multipart upload,
// parts sent as they fill, and returns the upload, pending, for the
// coordinator to complete if the attempt commits. An attempt that fails
// aborts its upload.
func (at reduceAttempt) writeUpload(ctx context.Context) (*protocol.Upload, reduceStats, error) {
	var upload *s3Sink
	stats, err := at.reduce(ctx, func() (reduceSink, error) {
		c, err := at.bucket()
		if err != nil {
			return nil, err
		}
		out, err := s3job.ParseOutput(c, at.output)
		if err != nil {
			return nil, err
		}
		w, err := out.Create(ctx, at.id.Task.Index)
		if err != nil {
			return nil, err
		}
		upload = newS3Sink(w, out, at.id.Task.Index)
		return upload, nil
	})
	if err != nil {
		return nil, stats, err
	}
	return upload.pending, stats, nil
}

// reduceSink is where a reduce attempt's output goes: a staged file, or
// an upload to a bucket. Commit makes it whole (a synced file, a
// finished upload) for the coordinator to publish; Abort discards it.
type reduceSink interface {
	lineWriter
	Commit() error
	Abort()
}

// reduce gathers this partition of every committed map output, merges
// them, calls Reduce once per key in key order into the sink that create
// makes once the inputs are open, and commits the sink. A map output
// found missing or damaged before Reduce sees any record (while fetching
// it, opening it, or merging it in a batch) is reported lost and waited
// for; one found damaged while its records stream into Reduce ends the
// attempt with a filemerge.LostError (see mr/reduceinput).
func (at reduceAttempt) reduce(ctx context.Context, create func() (reduceSink, error)) (reduceStats, error) {
	var stats reduceStats
	g := reduceinput.New(reduceinput.Config{
		Attempt: at.id, Dir: at.dir, LocalDir: at.localDir,
		MapAttempts: at.mapAttempts, Servers: at.servers, Extents: at.extents,
		Self: at.self, Fetcher: at.fetcher, Locate: at.locateOutputs,
	})
	defer g.Close()
	merged, err := g.Open(ctx)
	stats.fetched = g.FetchedBytes()
	if err != nil {
		return stats, err
	}
	defer merged.Close()
	out, err := create()
	if err != nil {
		return stats, err
	}
	committed := false
	defer func() {
		if !committed {
			out.Abort()
		}
	}()
	var groups reduceStats
	if at.app.ReduceTask != nil {
		groups, err = reduceTask(ctx, at.app, at.appAttempt(), merged, out)
	} else {
		groups, err = reduceGroups(ctx, at.app, merged, out)
	}
	stats.groups, stats.records = groups.groups, groups.records
	if err != nil {
		return stats, err
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if err := out.Commit(); err != nil {
		return stats, err
	}
	committed = true
	return stats, nil
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
