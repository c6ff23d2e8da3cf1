package worker

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/merge"
	"6.5840/mr/task"
)

// reduceJob is one reduce attempt to run.
type reduceJob struct {
	app     app.App
	dir     string
	attempt task.AttemptID
	// mapAttempts holds the committed attempt of every map task.
	mapAttempts []int
}

// run merges the committed map outputs of this partition, calls Reduce once
// per key in key order, and writes mr-out-R. Nothing is renamed into place
// once ctx is cancelled.
func (j reduceJob) run(ctx context.Context) error {
	r := j.attempt.Task.Index
	paths := make([]string, 0, len(j.mapAttempts))
	for m, a := range j.mapAttempts {
		if a == 0 {
			continue // a skipped input: no output to read
		}
		paths = append(paths, filepath.Join(j.dir, jobfiles.Intermediate(m, a, r)))
	}
	merged, err := mergeFiles(paths, func(n int) string {
		return filepath.Join(j.dir, jobfiles.MergeRun(r, j.attempt.Attempt, n))
	})
	if err != nil {
		return err
	}
	defer merged.Close()
	out, err := atomicfile.Create(filepath.Join(j.dir, jobfiles.Output(r)), atomicfile.Durable)
	if err != nil {
		return err
	}
	defer out.Abort()
	if err := reduceGroups(ctx, j.app, merged, out); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return out.Commit()
}

// cancelCheckInterval is how many keys Reduce sees between checks that the
// attempt is still wanted.
const cancelCheckInterval = 1024

// reduceGroups reads sorted records from in, calls Reduce once per key with
// that key's values, and writes "key result" lines to out.
func reduceGroups(ctx context.Context, a app.App, in merge.Source, out io.Writer) error {
	keys := 0
	return forEachGroup(in, func(key string, values []string) error {
		if keys++; keys%cancelCheckInterval == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var result string
		if err := safeCall("Reduce", func() { result = a.Reduce(key, values) }); err != nil {
			return err
		}
		_, err := fmt.Fprintf(out, "%v %v\n", key, result)
		return err
	})
}
