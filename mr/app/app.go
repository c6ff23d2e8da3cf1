// Package app holds the user functions of a MapReduce application as plain
// function values, so the engine runs and tests them without plugins.
package app

import (
	"errors"

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

// App is a loaded application. Reduce and one of Map and MapEmit are
// required; Combine and Partition are optional. When MapEmit is set the
// engine calls it rather than Map.
type App struct {
	Map       MapFunc
	MapEmit   MapEmitFunc
	Reduce    ReduceFunc
	Combine   ReduceFunc
	Partition PartitionFunc
}

// Validate reports a missing required function.
func (a App) Validate() error {
	switch {
	case a.Map == nil && a.MapEmit == nil:
		return errors.New("app has no Map (or MapEmit) function")
	case a.Reduce == nil:
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
