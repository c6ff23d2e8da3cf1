package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/merge"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// locateFunc reports map outputs a reduce attempt could not read, and
// waits for where the outputs of the map tasks in want are (MapOutputs).
type locateFunc func(ctx context.Context, lost []protocol.LostOutput, want []int) (protocol.MapOutputsReply, error)

// errYield ends a reduce attempt that gave way so that its worker can run
// the map tasks it waits for.
var errYield = errors.New("gave way to re-run lost map outputs")

// lostOutputError is a committed map output that could not be read.
type lostOutputError struct {
	Map task.AttemptID
	Err error
}

func (e *lostOutputError) Error() string { return fmt.Sprintf("output of %v lost: %v", e.Map, e.Err) }
func (e *lostOutputError) Unwrap() error { return e.Err }

// reduceJob is one reduce attempt to run.
type reduceJob struct {
	app     app.App
	dir     string
	attempt task.AttemptID
	// mapAttempts holds the committed attempt of every map task, or
	// protocol.NoOutput or protocol.Pending.
	mapAttempts []int
	// locate finds outputs that were lost or pending.
	locate locateFunc
}

// reduceStats counts what a reduce attempt did.
type reduceStats struct {
	groups, records int64
}

// staged returns the path of the attempt's staged output, which the
// coordinator renames to mr-out-R if the attempt commits.
func (j reduceJob) staged() string {
	return filepath.Join(j.dir, jobfiles.StagedOutput(j.attempt.Task.Index, j.attempt.Attempt))
}

// write gathers this partition of every committed map output, merges them,
// calls Reduce once per key in key order, and leaves the result, synced,
// as the staged output, which it returns. A map output found missing or
// damaged before the merge is reported lost and waited for; one found
// damaged during the merge ends the attempt with a lostOutputError.
func (j reduceJob) write(ctx context.Context) ([]string, reduceStats, error) {
	var stats reduceStats
	inputs, err := j.gather(ctx)
	if err != nil {
		return nil, stats, err
	}
	r := j.attempt.Task.Index
	merged, err := mergeFiles(inputs, func(n int) string {
		return filepath.Join(j.dir, jobfiles.MergeRun(r, j.attempt.Attempt, n))
	})
	if err != nil {
		return nil, stats, err
	}
	defer merged.Close()
	out, err := atomicfile.Create(j.staged(), atomicfile.Durable)
	if err != nil {
		return nil, stats, err
	}
	defer out.Abort()
	if stats, err = reduceGroups(ctx, j.app, merged, out); err != nil {
		return nil, stats, err
	}
	if err := ctx.Err(); err != nil {
		return nil, stats, err
	}
	if err := out.Commit(); err != nil {
		return nil, stats, err
	}
	return []string{j.staged()}, stats, nil
}

// gather returns this partition's section of every map output, in map
// task order, each checked to be there and whole (index and header). It
// reports the ones that are not as lost, and waits for those and the
// pending ones to be made again.
func (j reduceJob) gather(ctx context.Context) ([]sortedInput, error) {
	r := j.attempt.Task.Index
	found := make([]*sortedInput, len(j.mapAttempts))
	var lost []protocol.LostOutput
	var want []int
	// take records map m's output, attempt a, or why it cannot be read.
	take := func(m, a int) {
		if a == protocol.NoOutput {
			return
		}
		in := sortedInput{path: filepath.Join(j.dir, jobfiles.Intermediate(m, a)), section: r,
			owner: task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: a}}
		if err := in.check(); err != nil {
			lost = append(lost, protocol.LostOutput{Map: in.owner, Reason: err.Error()})
			want = append(want, m)
			return
		}
		found[m] = &in
	}
	for m, a := range j.mapAttempts {
		if a == protocol.Pending {
			want = append(want, m)
		} else {
			take(m, a)
		}
	}
	for len(want) > 0 {
		reply, err := j.locate(ctx, lost, want)
		switch {
		case err != nil:
			return nil, err
		case reply.Revoked:
			return nil, errRevoked
		case reply.Yield:
			return nil, errYield
		}
		waiting := want
		lost, want = nil, nil
		arrived := make(map[int]int, len(reply.Outputs))
		for _, o := range reply.Outputs {
			arrived[o.Map] = o.Attempt
		}
		for _, m := range waiting {
			if a, ok := arrived[m]; ok {
				take(m, a)
			} else {
				want = append(want, m)
			}
		}
	}
	inputs := make([]sortedInput, 0, len(found))
	for _, in := range found {
		if in != nil {
			inputs = append(inputs, *in)
		}
	}
	return inputs, nil
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
