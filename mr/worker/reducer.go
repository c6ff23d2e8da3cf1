package worker

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/ifile"
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
	sources := make([]merge.Source, 0, len(j.mapAttempts))
	for m, a := range j.mapAttempts {
		if a == 0 {
			continue // a skipped input: no output to read
		}
		name := filepath.Join(j.dir, jobfiles.Intermediate(m, a, r))
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("map output: %w", err)
		}
		defer f.Close()
		rd, err := ifile.NewReader(f, name)
		if err != nil {
			return err
		}
		sources = append(sources, rd)
	}
	merged, err := merge.New(sources)
	if err != nil {
		return err
	}
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

// reduceGroups reads sorted records from in, calls Reduce once per key with
// that key's values, and writes "key result" lines to out.
func reduceGroups(ctx context.Context, a app.App, in merge.Source, out io.Writer) error {
	key, value, err := in.Next()
	var values []string
	for err == nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// A fresh slice per key: Reduce may keep the one it is given.
		values = append(make([]string, 0, cap(values)), value)
		var next string
		for {
			next, value, err = in.Next()
			if err != nil || next != key {
				break
			}
			values = append(values, value)
		}
		if err != nil && err != io.EOF {
			return err
		}
		var result string
		if perr := safeCall("Reduce", func() { result = a.Reduce(key, values) }); perr != nil {
			return perr
		}
		if _, werr := fmt.Fprintf(out, "%v %v\n", key, result); werr != nil {
			return werr
		}
		key = next
	}
	if err != io.EOF {
		return err
	}
	return nil
}
