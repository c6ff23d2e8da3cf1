// Package app holds the user functions of a MapReduce application as plain
// function values, so the engine runs and tests them without plugins.
package app

import (
	"context"
	"errors"
	"io"

	"6.5840/mr"
)

// MapFunc is the signature of an application's Map.
type MapFunc = func(filename string, contents string) []mr.KeyValue

// MapEmitFunc is the signature of an application's MapEmit: Map that
// hands each pair to emit instead of returning a slice.
type MapEmitFunc = func(filename string, contents string, emit func(key, value string))

// ReduceFunc is the signature of an application's Reduce, and of Combine.
type ReduceFunc = func(key string, values []string) string

// PartitionFunc is the signature of an application's Partition.
type PartitionFunc = func(key string, nReduce int) int

// Attempt describes the attempt a task-level entry point runs for.
type Attempt struct {
	// ID is the attempt's id (map-3.2) and Task its task's (map-3).
	ID, Task string
	// Input is a map attempt's input, named as given to the coordinator.
	Input string
	// NReduce is the job's number of reduce partitions.
	NReduce int
	// Partition is a reduce attempt's partition, or -1 for map.
	Partition int
	// Dir is the job's folder.
	Dir string
	// SetStatus, unless nil, reports a status message of the attempt
	// (a streaming command's reporter:status line): the latest one is
	// shown beside the attempt on the status page.
	SetStatus func(message string)
}

// Records is a stream of pairs sorted by key, such as the engine's merge of
// map outputs: Next returns io.EOF after the last.
type Records interface {
	Next() (key, value string, err error)
}

// MapTaskFunc runs a whole map attempt: it maps contents, the attempt's
// input, handing each pair to emit as it is made, and returns once done or
// once ctx ends. emit may panic to abort; the function must let that panic
// through, having cleaned up.
type MapTaskFunc = func(ctx context.Context, at Attempt, contents string, emit func(key, value string)) error

// ReduceTaskFunc runs a whole reduce attempt: it reads the partition's
// sorted records from in and writes the partition's output to out, and
// returns once done or once ctx ends.
type ReduceTaskFunc = func(ctx context.Context, at Attempt, in Records, out io.Writer) error

// CombineTaskFunc combines a map attempt's output: it reads the records
// from in, partition after partition, each sorted by key, and hands the
// combined pairs to emit in the same order (partition, then key). emit
// may panic to abort, as MapTaskFunc's.
type CombineTaskFunc = func(ctx context.Context, at Attempt, in Records, emit func(key, value string)) error

// App is a loaded application. Reduce and one of Map and MapEmit are
// required; Combine and Partition are optional. When MapEmit is set the
// engine calls it rather than Map.
//
// An application whose functions run elsewhere (package streaming's
// commands) sets MapTask and ReduceTask instead of Map and Reduce, and
// CombineTask instead of Combine: the engine then hands each attempt's
// whole input to MapTask, a map attempt's sorted output to CombineTask, and each partition's whole sorted stream to ReduceTask,
// whose output is the partition's output as it is.
type App struct {
	Map       MapFunc
	MapEmit   MapEmitFunc
	Reduce    ReduceFunc
	Combine   ReduceFunc
	Partition PartitionFunc

	MapTask     MapTaskFunc
	ReduceTask  ReduceTaskFunc
	CombineTask CombineTaskFunc
}

// Validate reports a missing required function.
func (a App) Validate() error {
	switch {
	case a.Map == nil && a.MapEmit == nil && a.MapTask == nil:
		return errors.New("app has no Map (or MapEmit) function")
	case a.Reduce == nil && a.ReduceTask == nil:
		return errors.New("app has no Reduce function")
	}
	return nil
}

// MapAll runs the application's map on one input and calls emit with each
// pair it produces, in order: MapEmit if the application has it, else Map.
func (a App) MapAll(filename, contents string, emit func(key, value string)) {
	if a.MapEmit != nil {
		a.MapEmit(filename, contents, emit)
		return
	}
	for _, kv := range a.Map(filename, contents) {
		emit(kv.Key, kv.Value)
	}
}

// PartitionOf returns the reduce partition of key among nReduce, using the
// app's Partition if it has one and mr.Hash otherwise.
func (a App) PartitionOf(key string, nReduce int) int {
	if a.Partition != nil {
		return a.Partition(key, nReduce)
	}
	return mr.Hash(key) % nReduce
}
