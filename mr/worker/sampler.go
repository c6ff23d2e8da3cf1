package worker

import (
	"context"
	"fmt"
	"os"

	"6.5840/mr/protocol"
	"6.5840/mr/totalorder"
)

// keySample is a sample attempt's pairSink: it keeps a bounded sample of
// the keys Map emits and drops the values.
type keySample struct{ sample *totalorder.Sample }

func (k keySample) emit(key, _ string) { k.sample.Add(key) }

func (k keySample) call(what string, f func()) error { return safeCall(what, f) }

// sample runs a sample attempt of a job in total order: Map over its
// input (the start of one of the job's inputs), keeping
// protocol.SampleKeys of the keys it emits, seeded by the task so that
// the same input gives the same sample. It writes nothing.
func (at mapAttempt) sample(ctx context.Context) ([]string, error) {
	contents, err := readInput(ctx, at.bucket, at.input)
	if err != nil {
		host, _ := os.Hostname()
		return nil, fmt.Errorf("on host %s: %w", host, err)
	}
	out := keySample{sample: totalorder.NewSample(protocol.SampleKeys, uint64(at.id.Task.Index))}
	if err := at.callMap(ctx, out, contents); err != nil {
		return nil, err
	}
	return out.sample.Keys(), nil
}
