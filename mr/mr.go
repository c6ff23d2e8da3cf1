// Package mr is the API that MapReduce applications import.
//
// An application is a Go plugin (package main, built with -buildmode=plugin)
// that exports
//
//	func Map(filename string, contents string) []mr.KeyValue
//	func Reduce(key string, values []string) string
//
// and may also export Combine (same signature as Reduce), applied to each
// map task's output before it is written, and Partition, which picks the
// reduce task for a key:
//
//	func Combine(key string, values []string) string
//	func Partition(key string, nReduce int) int
//
// This package is deliberately small and depends only on the standard
// library: a plugin refuses to load if a package it shares with the worker
// binary was built from different source, so the engine lives elsewhere and
// can change without forcing applications to be rebuilt.
package mr

import "hash/fnv"

// KeyValue is one intermediate pair emitted by Map.
type KeyValue struct {
	Key   string
	Value string
}

// Hash is the default partition hash: FNV-1a of key, as a non-negative int.
// The default partition of key among nReduce reduce tasks is
// Hash(key) % nReduce.
func Hash(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() & 0x7fffffff)
}
