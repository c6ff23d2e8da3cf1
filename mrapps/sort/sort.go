// The sort application sorts the sort benchmark's ASCII records (`gensort
// -a`, package sortrec): its output is exactly its input's records,
// reordered by key, byte for byte, duplicate keys included. With one
// reduce task (-nreduce 1) mr-out-0 is the whole sorted data set; with
// more, each mr-out-R is sorted and together they hold every record.
//
// Map cuts its input into 100-byte records and emits each as the pair
// (key, rest): the key is the record's first 44 bytes, the 10-byte sort
// key, two spaces and the 32-hex-digit record number, and rest its bytes
// 45 to 98, from after the space that follows the record number to the
// '\r' before the final '\n'. The engine writes a reduce result as
// "key result\n", so Reduce returns rest and the line written is the
// record itself. Keys sort as the records do: by the 10-byte key first,
// then, among records of one sort key, by record number.
//
// The record number makes every key of a gensort data set unique, so
// Reduce sees one value per key, and a sort key that holds much of the
// data (gensort's OneKey, a Zipf head) is spread over partitions by
// record number under -total-order, rather than filling one Reduce call
// and one partition. Records of another generator whose 44 bytes repeat
// reach Reduce together: it writes them all, in the order of what
// follows, so the output does not depend on the order in which map
// outputs arrived.
//
// A malformed record (wrong length, no "\r\n" at the end, a byte that is
// not printable ASCII, no space after the key or after the record
// number) fails the map attempt with a message naming the input and the
// record's byte offset in the map task's input: the file, or under
// -split-size the split, which starts at a record boundary as long as
// records are well formed.
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

// keyEnd is where a record's key, the sort key and record number, ends,
// at the space before the rest; restOffset is where the rest starts and
// restEnd where it ends, before the final '\n' that the engine writes
// after every result.
const (
	keyEnd     = sortrec.NumberOffset + sortrec.NumberDigits
	restOffset = keyEnd + 1
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
		if rec[keyEnd] != ' ' {
			panic(fmt.Sprintf("sort: input %s: record at byte %d: byte %d is %q, not the space after the record number",
				filename, off, keyEnd, rec[keyEnd]))
		}
		emit(rec[:keyEnd], rec[restOffset:restEnd])
	}
}

// Reduce returns the rest of key's record, or of its records, sorted,
// joined so that the engine's "key result\n" lines are those records, one
// after another.
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
