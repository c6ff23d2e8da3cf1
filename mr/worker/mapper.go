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

// mapJob is one map attempt to run.
type mapJob struct {
	app app.App
	// dir is where the output goes; jobDir is the job's folder, where a
	// streaming command runs.
	dir, jobDir string
	attempt     task.AttemptID
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
}

// run calls Map on the input, partitions, sorts and combines the output,
// and writes the attempt's output file, one sorted section per partition. Nothing is renamed into
// place once ctx is cancelled (the attempt was revoked).
func (j mapJob) run(ctx context.Context) error {
	_, _, err := j.write(ctx)
	return err
}

// output returns the path of the attempt's output file.
func (j mapJob) output() string {
	return filepath.Join(j.dir, jobfiles.Intermediate(j.attempt.Task.Index, j.attempt.Attempt))
}

// callMap runs the application's MapTask, MapEmit, or Map, on contents,
// feeding out.
func (j mapJob) callMap(ctx context.Context, out *mapOutput, contents string) error {
	if j.app.MapTask != nil {
		var err error
		if perr := out.call("map", func() { err = j.app.MapTask(ctx, j.appAttempt(), contents, out.emit) }); perr != nil {
			return perr
		}
		return err
	}
	if j.app.MapEmit != nil {
		return out.call("MapEmit", func() { j.app.MapEmit(j.input.Path, contents, out.emit) })
	}
	var kvs []mr.KeyValue
	if err := safeCall("Map", func() { kvs = j.app.Map(j.input.Path, contents) }); err != nil {
		return err
	}
	return out.add(kvs)
}

// commitCheck returns why the output must not be renamed into place.
func (j mapJob) commitCheck(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if j.mayCommit != nil {
		return j.mayCommit()
	}
	return nil
}

// write does the work of run and returns the files it committed and what
// it counted.
func (j mapJob) write(ctx context.Context) ([]string, mapStats, error) {
	contents, err := readInput(j.input)
	if err != nil {
		host, _ := os.Hostname()
		return nil, mapStats{}, fmt.Errorf("on host %s: %w", host, err)
	}
	limit := j.sortBuffer
	if limit <= 0 {
		limit = DefaultSortBuffer
	}
	m, a := j.attempt.Task.Index, j.attempt.Attempt
	out := newMapOutput(j.app, j.nReduce, limit, j.output(),
		func(n int) string { return filepath.Join(j.dir, jobfiles.Spill(m, a, n)) },
		func(r, n int) string { return filepath.Join(j.dir, jobfiles.SpillMerge(m, a, r, n)) }, j.buf)
	out.stats.inputBytes = int64(len(contents))
	out.ctx, out.at = ctx, j.appAttempt()
	if err := j.callMap(ctx, out, contents); err != nil {
		out.discard()
		return nil, out.stats, err
	}
	// An attempt that ended while Map ran (revoked, its lease lost, or
	// given up on as stuck) writes no output at all.
	if err := j.commitCheck(ctx); err != nil {
		out.discard()
		return nil, out.stats, err
	}
	file, err := out.finish()
	if err != nil {
		out.discard()
		return nil, out.stats, err
	}
	if err := j.commitCheck(ctx); err != nil {
		file.Abort()
		return nil, out.stats, err
	}
	if err := file.Commit(); err != nil {
		return nil, out.stats, err
	}
	return []string{j.output()}, out.stats, nil
}

// appAttempt describes the attempt to a task-level Map or Combine.
func (j mapJob) appAttempt() app.Attempt {
	return app.Attempt{ID: j.attempt.String(), Task: j.attempt.Task.String(), Input: j.input.Path,
		NReduce: j.nReduce, Partition: -1, Dir: j.jobDir, SetStatus: j.setStatus}
}
