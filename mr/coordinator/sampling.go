package coordinator

import (
	"fmt"
	"time"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
	"6.5840/mr/totalorder"
)

// A job in total order (Config.TotalOrder) begins with a sampling phase,
// as Hadoop's InputSampler does: sample tasks run Map over the first
// SampleBytes of at most maxSampleInputs inputs, spread evenly over the
// job, each keeping protocol.SampleKeys of the keys Map emits, and report
// them; their output is discarded. From every committed sample's keys
// the table picks at most NReduce-1 split points (totalorder.Splits), the
// committer journals them, synced, and only then are map tasks handed
// out, each with the split points (once per worker) to range-partition
// by. A restarted coordinator that finds split points in its journal
// skips sampling and uses them, so that committed map outputs stay
// valid. A sample task fails and is retried like a map task; one given
// up on under SkipBadInputs adds no keys.
//
// At most maxSampleInputs times SampleKeys keys, 100,000 as TeraSort
// samples, so that at R = 1,000 each of the R-1 quantiles rests on about
// a hundred samples, and sampling costs at most 40 MiB of reading
// whatever the job's size.

// maxSampleInputs is the most inputs a job in total order samples.
const maxSampleInputs = 10

// newTable returns the table of a job with inputs: with a sampling phase
// first under TotalOrder.
func newTable(cfg Config, inputs []task.Input, now time.Time) *table.Table {
	if !cfg.TotalOrder {
		return table.New(inputs, cfg.NReduce, cfg.policy(), now)
	}
	return table.NewSampled(inputs, sampleInputs(inputs, cfg.SampleBytes), cfg.NReduce, cfg.policy(), now)
}

// sampleInputs returns what the sample tasks read: the first sampleBytes
// (cut at a line boundary) of min(len(inputs), maxSampleInputs) inputs
// spread evenly over the job.
func sampleInputs(inputs []task.Input, sampleBytes int64) []task.Input {
	n := min(len(inputs), maxSampleInputs)
	samples := make([]task.Input, n)
	for i := range samples {
		in := inputs[i*len(inputs)/n]
		length := sampleBytes
		if in.Length >= 0 {
			length = min(length, in.Length)
		}
		samples[i] = task.Input{Path: in.Path, Offset: max(in.Offset, 0), Length: length, ETag: in.ETag}
	}
	return samples
}

// checkSampleKeys refuses the keys of a sample report that break the
// protocol's bounds.
func checkSampleKeys(keys []string) error {
	if len(keys) > protocol.SampleKeys {
		return fmt.Errorf("%d sampled keys, more than the %d a sample keeps", len(keys), protocol.SampleKeys)
	}
	for _, k := range keys {
		if len(k) > totalorder.MaxKeyBytes {
			return fmt.Errorf("a sampled key of %d bytes, longer than %d", len(k), totalorder.MaxKeyBytes)
		}
	}
	return nil
}

// splitsFor fills a map task's reply of a job in total order: the task
// partitions by the split points, sent unless the worker has them.
func (c *Coordinator) splitsForLocked(reply *protocol.GetTaskReply, haveSplits bool) {
	if !c.cfg.TotalOrder || reply.Attempt.Task.Kind != task.Map {
		return
	}
	reply.TotalOrder = true
	if !haveSplits {
		splits, _ := c.table.Splits()
		reply.Splits = &protocol.SplitPoints{Keys: splits}
	}
}

// splitsDurable tells the table that the split points r carried are
// durable, so that map tasks are handed out.
func (c *Coordinator) splitsDurable(r record) {
	if !r.table.SplitsPicked {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.table.SplitsDurable(time.Now())
	c.log.Info("split points picked", "splits", len(r.table.Splits), "reduces", c.cfg.NReduce)
	c.notifyLocked()
}
