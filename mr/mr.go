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
// Reduce (and Combine) may reorder or change the values slice it is given,
// and keep its strings, but not the slice itself past its return: the
// engine reuses it for the next key.
//
// # MapEmit
//
// An application may export MapEmit instead of Map, or beside it; the
// engine (mrworker and mrsequential alike) then calls MapEmit and not Map:
//
//	func MapEmit(filename string, contents string, emit func(key, value string))
//
// MapEmit calls emit once per pair, in the order Map would have returned
// them. The engine partitions and combines each pair as it comes, so no
// slice of every pair is built: for word count that is several times less
// memory and time than Map. The rules:
//
//   - Call emit only from the goroutine that runs MapEmit, and only until
//     MapEmit returns; emit is not safe for concurrent use.
//   - The engine may keep the key and value strings passed to emit until
//     the map task's output is written (it does not copy them). Pass
//     ordinary Go strings: substrings of contents, constants, or strings
//     you built. Never pass a string made with unsafe over a byte buffer
//     that you then change or reuse.
//   - A panic in MapEmit, like one in Map, fails the attempt with the
//     panic's text.
//
// This package is deliberately small and depends only on the standard
// library: a plugin refuses to load if a package it shares with the worker
// binary was built from different source, so the engine lives elsewhere and
// can change without forcing applications to be rebuilt.
package mr

// KeyValue is one intermediate pair emitted by Map.
type KeyValue struct {
	Key   string
	Value string
}

// Hash is the default partition hash: FNV-1a of key, as a non-negative int.
// The default partition of key among nReduce reduce tasks is
// Hash(key) % nReduce.
func Hash(key string) int {
	h := uint32(fnvOffset)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * fnvPrime
	}
	return int(h & 0x7fffffff)
}

// The parameters of 32-bit FNV-1a.
const (
	fnvOffset = 2166136261
	fnvPrime  = 16777619
)
