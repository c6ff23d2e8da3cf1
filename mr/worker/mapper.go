package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/jobfiles"
	"6.5840/mr/kvbuf"
	"6.5840/mr/task"
)

// mapAttempt is one map attempt to run.
type mapAttempt struct {
	app app.App
	// dir is where the output goes; jobDir is the job's folder, where a
	// streaming command runs.
	dir, jobDir string
	id          task.AttemptID
	input       task.Input
	nReduce     int
	// sortBuffer bounds the map output kept in memory; 0 means
	// DefaultSortBuffer.
	sortBuffer int64
	// mayCommit, if set, says why the output must not be renamed into
	// place after all (the attempt was revoked, or its lease may be).
	mayCommit func() error
	// buf, if set, is an empty buffer for the output, kept by the worker
	// from one map attempt to the next so that its storage is reused.
	buf *kvbuf.Buffer
	// setStatus, if set, takes the application's status messages.
	setStatus func(string)
	// bucket returns the client of an input in a bucket.
	bucket bucketFunc
	// segment, if set, takes every output of at most segmentMax bytes,
	// in place of a file of its own.
	segment    *segment
	segmentMax int64
}

// output returns the path of the attempt's output file.
func (at mapAttempt) output() string {
	return filepath.Join(at.dir, jobfiles.Intermediate(at.id.Task.Index, at.id.Attempt))
}

// pairSink takes the pairs a map attempt's Map emits: the mapCollector
// of a map attempt, or the keySample of a sample attempt. emit may panic
// to abort; call runs f, which calls emit, and returns why it aborted, or
// the panic of the application's code (named what) as an error.
type pairSink interface {
	emit(key, value string)
	call(what string, f func()) error
}

// callMap runs the application's MapTask, MapEmit, or Map, on contents,
// feeding out.
func (at mapAttempt) callMap(ctx context.Context, out pairSink, contents string) error {
	if at.app.MapTask != nil {
		var err error
		if perr := out.call("map", func() { err = at.app.MapTask(ctx, at.appAttempt(), contents, out.emit) }); perr != nil {
			return perr
		}
		return err
	}
	if at.app.MapEmit != nil {
		return out.call("MapEmit", func() { at.app.MapEmit(at.input.Path, contents, out.emit) })
	}
	var kvs []mr.KeyValue
	if err := safeCall("Map", func() { kvs = at.app.Map(at.input.Path, contents) }); err != nil {
		return err
	}
	return out.call("Partition or Combine", func() {
		for _, kv := range kvs {
			out.emit(kv.Key, kv.Value)
		}
	})
}

// commitCheck returns why the output must not be renamed into place.
func (at mapAttempt) commitCheck(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if at.mayCommit != nil {
		return at.mayCommit()
	}
	return nil
}

// write calls Map on the input, partitions, sorts and combines the
// output, and writes the attempt's output, one sorted section per
// partition: appended to the worker's segment file if it is small and
// the worker has one, else to a file of its own. Nothing is committed
// once ctx is cancelled (the attempt was revoked) or mayCommit objects. It
// returns the file it committed, or where in the segment file the output
// is, and what it counted.
func (at mapAttempt) write(ctx context.Context) ([]string, jobfiles.Extent, mapStats, error) {
	contents, err := readInput(ctx, at.bucket, at.input)
	if err != nil {
		host, _ := os.Hostname()
		return nil, jobfiles.Extent{}, mapStats{}, fmt.Errorf("on host %s: %w", host, err)
	}
	limit := at.sortBuffer
	if limit <= 0 {
		limit = DefaultSortBuffer
	}
	m, a := at.id.Task.Index, at.id.Attempt
	out := newMapCollector(at.app, at.nReduce, limit, at.output(),
		func(n int) string { return filepath.Join(at.dir, jobfiles.Spill(m, a, n)) },
		func(r, n int) string { return filepath.Join(at.dir, jobfiles.SpillMerge(m, a, r, n)) }, at.buf)
	out.stats.inputBytes = int64(len(contents))
	out.ctx, out.at = ctx, at.appAttempt()
	// While Map runs, pairs that are slices of the input cost the buffer
	// only their headers: the input is held until the attempt ends anyway.
	out.buf.SetInput(contents)
	err = at.callMap(ctx, out, contents)
	out.buf.SetInput("")
	if err != nil {
		out.discard()
		return nil, jobfiles.Extent{}, out.stats, err
	}
	// An attempt that ended while Map ran (revoked, its lease lost, or
	// given up on as stuck) writes no output at all.
	if err := at.commitCheck(ctx); err != nil {
		out.discard()
		return nil, jobfiles.Extent{}, out.stats, err
	}
	if at.segment != nil && out.fitsInMemory(at.segmentMax) {
		extent, err := at.appendToSegment(ctx, out)
		return nil, extent, out.stats, err
	}
	file, err := out.finish()
	if err != nil {
		out.discard()
		return nil, jobfiles.Extent{}, out.stats, err
	}
	if err := at.commitCheck(ctx); err != nil {
		file.Abort()
		return nil, jobfiles.Extent{}, out.stats, err
	}
	if err := file.Commit(); err != nil {
		return nil, jobfiles.Extent{}, out.stats, err
	}
	return []string{at.output()}, jobfiles.Extent{}, out.stats, nil
}

// appendToSegment writes the output, all of it in the buffer, to the
// worker's segment file, unless the attempt ended meanwhile.
func (at mapAttempt) appendToSegment(ctx context.Context, out *mapCollector) (jobfiles.Extent, error) {
	data, err := out.finishInMemory()
	if err != nil {
		out.discard()
		return jobfiles.Extent{}, err
	}
	if err := at.commitCheck(ctx); err != nil {
		return jobfiles.Extent{}, err
	}
	return at.segment.append(at.id, data)
}

// appAttempt describes the attempt to a task-level Map or Combine.
func (at mapAttempt) appAttempt() app.Attempt {
	return app.Attempt{ID: at.id.String(), Task: at.id.Task.String(), Input: at.input.Path,
		NReduce: at.nReduce, Partition: -1, Dir: at.jobDir, SetStatus: at.setStatus}
}
