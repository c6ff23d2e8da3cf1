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

// reduceStats counts what a reduce attempt did.
type reduceStats struct {
	groups, records int64
}

// run merges the committed map outputs of this partition, calls Reduce once
// per key in key order, and writes mr-out-R. Nothing is renamed into place
// once ctx is cancelled.
func (j reduceJob) run(ctx context.Context) error {
	_, err := j.write(ctx)
	return err
}

// output returns the path of the attempt's output file.
func (j reduceJob) output() string {
	return filepath.Join(j.dir, jobfiles.Output(j.attempt.Task.Index))
}

// write does the work of run and returns what it counted.
func (j reduceJob) write(ctx context.Context) (reduceStats, error) {
	var stats reduceStats
	r := j.attempt.Task.Index
	inputs := make([]sortedInput, 0, len(j.mapAttempts))
	for m, a := range j.mapAttempts {
		if a == 0 {
			continue // a skipped input: no output to read
		}
		inputs = append(inputs, sortedInput{path: filepath.Join(j.dir, jobfiles.Intermediate(m, a)), section: r})
	}
	merged, err := mergeFiles(inputs, func(n int) string {
		return filepath.Join(j.dir, jobfiles.MergeRun(r, j.attempt.Attempt, n))
	})
	if err != nil {
		return stats, err
	}
	defer merged.Close()
	out, err := atomicfile.Create(j.output(), atomicfile.Durable)
	if err != nil {
		return stats, err
	}
	defer out.Abort()
	if stats, err = reduceGroups(ctx, j.app, merged, out); err != nil {
		return stats, err
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	return stats, out.Commit()
}

// cancelCheckInterval is how many keys Reduce sees between checks that the
// attempt is still wanted.
const cancelCheckInterval = 1024

// reduceGroups reads sorted records from in, calls Reduce once per key with
// that key's values, and writes "key result" lines to out.
func reduceGroups(ctx context.Context, a app.App, in merge.Source, out io.Writer) (reduceStats, error) {
	var stats reduceStats
	err := forEachGroup(in, func(key string, values []string) error {
		if stats.groups++; stats.groups%cancelCheckInterval == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		var result string
		if err := safeCall("Reduce", func() { result = a.Reduce(key, values) }); err != nil {
			return err
		}
		_, err := fmt.Fprintf(out, "%v %v\n", key, result)
		stats.records++
		return err
	})
	return stats, err
}
