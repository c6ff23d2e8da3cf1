// Package app holds the user functions of a MapReduce application as plain
// function values, so the engine runs and tests them without plugins.
package app

import (
	"errors"

	"6.5840/mr"
)

// MapFunc is the signature of an application's Map.
type MapFunc = func(filename string, contents string) []mr.KeyValue

// ReduceFunc is the signature of an application's Reduce, and of Combine.
type ReduceFunc = func(key string, values []string) string

// PartitionFunc is the signature of an application's Partition.
type PartitionFunc = func(key string, nReduce int) int

// App is a loaded application. Map and Reduce are required; Combine and
// Partition are optional.
type App struct {
	Map       MapFunc
	Reduce    ReduceFunc
	Combine   ReduceFunc
	Partition PartitionFunc
}

// Validate reports a missing required function.
func (a App) Validate() error {
	switch {
	case a.Map == nil:
		return errors.New("app has no Map function")
	case a.Reduce == nil:
		return errors.New("app has no Reduce function")
	}
	return nil
}

// PartitionOf returns the reduce partition of key among nReduce, using the
// app's Partition if it has one and mr.Hash otherwise.
func (a App) PartitionOf(key string, nReduce int) int {
	if a.Partition != nil {
		return a.Partition(key, nReduce)
	}
	return mr.Hash(key) % nReduce
}
