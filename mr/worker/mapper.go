package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/ifile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// mapJob is one map attempt to run.
type mapJob struct {
	app     app.App
	dir     string
	attempt task.AttemptID
	input   string
	nReduce int
}

// run calls Map on the input, partitions, sorts and combines the output,
// and writes one intermediate file per partition. Nothing is renamed into
// place once ctx is cancelled (the attempt was revoked).
func (j mapJob) run(ctx context.Context) error {
	_, err := j.write(ctx)
	return err
}

// outputs returns the paths of the attempt's intermediate files.
func (j mapJob) outputs() []string {
	paths := make([]string, j.nReduce)
	for r := range paths {
		paths[r] = filepath.Join(j.dir, jobfiles.Intermediate(j.attempt.Task.Index, j.attempt.Attempt, r))
	}
	return paths
}

// write does the work of run and returns the files it committed.
func (j mapJob) write(ctx context.Context) ([]string, error) {
	contents, err := os.ReadFile(j.input)
	if err != nil {
		return nil, fmt.Errorf("read input: %w", err)
	}
	var kvs []mr.KeyValue
	if err := safeCall("Map", func() { kvs = j.app.Map(j.input, string(contents)) }); err != nil {
		return nil, err
	}
	partitions, err := partition(j.app, kvs, j.nReduce)
	if err != nil {
		return nil, err
	}
	files := make([]*atomicfile.File, 0, j.nReduce)
	defer func() {
		for _, f := range files {
			f.Abort()
		}
	}()
	names := j.outputs()
	for r, part := range partitions {
		name := names[r]
		f, err := atomicfile.Create(name, atomicfile.Volatile)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
		if err := writeSorted(j.app, f, name, part); err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, f := range files {
		if err := f.Commit(); err != nil {
			return nil, err
		}
	}
	return j.outputs(), nil
}

// partition splits kvs into nReduce partitions with the app's partitioner.
func partition(a app.App, kvs []mr.KeyValue, nReduce int) ([][]mr.KeyValue, error) {
	parts := make([][]mr.KeyValue, nReduce)
	var bad error
	err := safeCall("Partition", func() {
		for _, kv := range kvs {
			p := a.PartitionOf(kv.Key, nReduce)
			if p < 0 || p >= nReduce {
				bad = fmt.Errorf("Partition(%q, %d) returned %d; want 0 <= p < %d", kv.Key, nReduce, p, nReduce)
				return
			}
			parts[p] = append(parts[p], kv)
		}
	})
	if err == nil {
		err = bad
	}
	return parts, err
}

// writeSorted sorts kvs by key (keeping the emission order of equal keys),
// applies the app's Combine to each key group if it has one, and writes the
// records to w.
func writeSorted(a app.App, w *atomicfile.File, name string, kvs []mr.KeyValue) error {
	slices.SortStableFunc(kvs, func(x, y mr.KeyValue) int { return strings.Compare(x.Key, y.Key) })
	out := ifile.NewWriter(w)
	if a.Combine == nil {
		for _, kv := range kvs {
			if err := out.Write(kv.Key, kv.Value); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
		}
		return out.Close()
	}
	var values []string
	for i := 0; i < len(kvs); {
		j := i
		values = values[:0]
		for ; j < len(kvs) && kvs[j].Key == kvs[i].Key; j++ {
			values = append(values, kvs[j].Value)
		}
		var combined string
		if err := safeCall("Combine", func() { combined = a.Combine(kvs[i].Key, values) }); err != nil {
			return err
		}
		if err := out.Write(kvs[i].Key, combined); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		i = j
	}
	return out.Close()
}
