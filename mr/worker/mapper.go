package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// mapJob is one map attempt to run.
type mapJob struct {
	app     app.App
	dir     string
	attempt task.AttemptID
	input   task.Input
	nReduce int
	// sortBuffer bounds the map output kept in memory; 0 means
	// DefaultSortBuffer.
	sortBuffer int64
	// mayCommit, if set, says why the output must not be renamed into
	// place after all (the attempt was revoked, or its lease may be).
	mayCommit func() error
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
	var kvs []mr.KeyValue
	if err := safeCall("Map", func() { kvs = j.app.Map(j.input.Path, contents) }); err != nil {
		return nil, mapStats{}, err
	}
	limit := j.sortBuffer
	if limit <= 0 {
		limit = DefaultSortBuffer
	}
	m, a := j.attempt.Task.Index, j.attempt.Attempt
	out := newMapOutput(j.app, j.nReduce, limit, j.output(), func(r, n int) string {
		return filepath.Join(j.dir, jobfiles.Spill(m, a, r, n))
	})
	out.stats.inputBytes = int64(len(contents))
	err = out.add(kvs)
	kvs = nil // let the collector have Map's output while the files are written
	if err != nil {
		out.removeRuns()
		return nil, out.stats, err
	}
	file, err := out.finish()
	if err != nil {
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
