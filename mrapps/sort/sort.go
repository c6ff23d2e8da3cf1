// The sort application sorts the sort benchmark's ASCII records (`gensort
// -a`, package sortrec): its output is exactly its input's records,
// reordered by key, byte for byte, duplicate keys included. With one
// reduce task (-nreduce 1) mr-out-0 is the whole sorted data set; with
// more, each mr-out-R is sorted and together they hold every record.
//
// Map cuts its input into 100-byte records and emits each as the pair
// (key, rest): the key is the record's first 10 bytes and rest its bytes
// 11 to 98, from after the space that follows the key to the '\r' before
// the final '\n'. The engine writes a reduce result as "key result\n",
// so for a key of one record Reduce returns rest and the line written is
// the record itself. For a key of several records it returns their rests,
// sorted, joined by "\n" + key + " ": the lines written are those
// records, in the order of their record numbers (the bytes after the key
// start with the number), so the output does not depend on the order in
// which map outputs arrived.
//
// A malformed record (wrong length, no "\r\n" at the end, a byte that is
// not printable ASCII, no space after the key) fails the map attempt with
// a message naming the input and the record's byte offset in the map
// task's input: the file, or under -split-size the split, which starts
// at a record boundary as long as records are well formed.
//
// All of a key's records reach Reduce together, so a key that holds much
// of the data (gensort's OneKey) costs that much memory in one reduce
// task, twice over while Reduce joins them.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o sort.so ./mrapps/sort
package main

import (
	"fmt"
	"slices"
	"strings"

	"6.5840/mr/bench/sortrec"
)

// restOffset is where the part of a record after the key and its space
// starts; restEnd is where it ends, before the final '\n' that the engine
// writes after every result.
const (
	restOffset = sortrec.Separator + 1
	restEnd    = sortrec.Size - 1
)

// MapEmit emits (key, rest) for every record of contents; it panics,
// failing the attempt, on a malformed record.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	for off := 0; off < len(contents); off += sortrec.Size {
		rec := contents[off:min(off+sortrec.Size, len(contents))]
		if err := sortrec.Check(rec); err != nil {
			panic(fmt.Sprintf("sort: input %s: record at byte %d: %v", filename, off, err))
		}
		emit(rec[:sortrec.KeySize], rec[restOffset:restEnd])
	}
}

// Reduce returns the rests of key's records, sorted, joined so that the
// engine's "key result\n" line is those records, one after another.
func Reduce(key string, values []string) string {
	if len(values) == 1 {
		return values[0]
	}
	slices.Sort(values)
	var b strings.Builder
	b.Grow(len(values)*sortrec.Size - len(key) - len(" \n"))
	for i, v := range values {
		if i > 0 {
			b.WriteByte('\n')
			b.WriteString(key)
			b.WriteByte(' ')
		}
		b.WriteString(v)
	}
	return b.String()
}
