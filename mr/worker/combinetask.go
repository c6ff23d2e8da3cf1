package worker

import (
	"context"
	"fmt"

	"6.5840/mr/ifile"
	"6.5840/mr/merge"
)

// combineTask runs the application's CombineTask over partition r's merged
// runs and writes what it emits to out. The pairs must come in key order
// and stay in partition r: out is a sorted section. It returns the pairs
// written.
func (o *mapOutput) combineTask(merged merge.Source, r int, out *ifile.Writer) (int64, error) {
	ctx := o.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	var n int64
	var last string
	emit := func(key, value string) {
		if n > 0 && key < last {
			panic(errAbort{fmt.Errorf("combiner output out of order: %q after %q", key, last)})
		}
		if p := o.partitionOf(key); p != r {
			panic(errAbort{fmt.Errorf("combiner moved key %q from partition %d to %d", key, r, p)})
		}
		if err := out.Write(key, value); err != nil {
			panic(errAbort{err})
		}
		last = key
		n++
	}
	var err error
	if perr := o.call("combine", func() { err = o.app.CombineTask(ctx, o.at, merged, emit) }); perr != nil {
		return n, perr
	}
	return n, err
}

// partitionOf returns the partition of key, as the map buffer finds it.
func (o *mapOutput) partitionOf(key string) int {
	if o.app.Partition != nil {
		return o.app.Partition(key, o.nReduce)
	}
	return int(hash(key)&hashMask) % o.nReduce
}
