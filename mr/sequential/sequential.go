// Package sequential computes a job's answer in one process, the simple way:
// Map every input, sort all pairs in memory, Reduce each key. It is the
// reference the distributed engine is tested against, so it shares none of
// the engine's data path.
package sequential

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// Run applies a to inputs and writes one "key value" line per key, in key
// order, to the file out. An application with a ReduceTask (a streaming
// one) writes instead what its ReduceTask writes, given every pair in key
// order, as the one partition of a job with one reduce task.
func Run(a app.App, inputs []string, out string) error {
	return RunWith(a, inputs, os.ReadFile, out)
}

// RunWith is Run with the inputs' contents read by read, given each
// input's name (an object in a bucket, say).
func RunWith(a app.App, inputs []string, read func(name string) ([]byte, error), out string) error {
	if err := a.Validate(); err != nil {
		return err
	}
	var all []mr.KeyValue
	emit := func(key, value string) {
		all = append(all, mr.KeyValue{Key: key, Value: value})
	}
	for i, name := range inputs {
		contents, err := read(name)
		if err != nil {
			return fmt.Errorf("input %s: %w", name, err)
		}
		if a.MapTask != nil {
			id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: i}}
			at := app.Attempt{ID: id.String(), Task: id.Task.String(), Input: name, NReduce: 1, Partition: -1}
			if err := a.MapTask(context.Background(), at, string(contents), emit); err != nil {
				return err
			}
			continue
		}
		a.MapAll(name, string(contents), emit)
	}
	slices.SortStableFunc(all, func(x, y mr.KeyValue) int { return strings.Compare(x.Key, y.Key) })

	f, err := atomicfile.Create(out, atomicfile.Durable, jobfiles.TempPrefix)
	if err != nil {
		return err
	}
	defer f.Abort()
	if a.ReduceTask != nil {
		id := task.AttemptID{Task: task.ID{Kind: task.Reduce}}
		at := app.Attempt{ID: id.String(), Task: id.Task.String(), NReduce: 1, Partition: 0}
		if err := a.ReduceTask(context.Background(), at, &pairs{all: all}, f); err != nil {
			return err
		}
		return f.Commit()
	}
	for i := 0; i < len(all); {
		j := i
		var values []string
		for ; j < len(all) && all[j].Key == all[i].Key; j++ {
			values = append(values, all[j].Value)
		}
		if _, err := fmt.Fprintf(f, "%v %v\n", all[i].Key, a.Reduce(all[i].Key, values)); err != nil {
			return fmt.Errorf("write %s: %w", out, err)
		}
		i = j
	}
	return f.Commit()
}

// pairs hands out sorted pairs as app.Records.
type pairs struct {
	all []mr.KeyValue
	i   int
}

func (p *pairs) Next() (string, string, error) {
	if p.i == len(p.all) {
		return "", "", io.EOF
	}
	kv := p.all[p.i]
	p.i++
	return kv.Key, kv.Value, nil
}
