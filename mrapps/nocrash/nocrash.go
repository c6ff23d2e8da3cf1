// The nocrash application is the well-behaved twin of the crash application:
// the same Map and Reduce without the random crashes and delays.
//
// test-mr.sh runs it under mrsequential to get the expected output of a job
// run with crash.so.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o nocrash.so ./mrapps/nocrash
package main

import (
	"sort"
	"strconv"
	"strings"

	"6.5840/mr"
)

// Map emits the file name, its length, the length of the contents, and a
// constant, under the keys "a" to "d".
func Map(filename string, contents string) []mr.KeyValue {
	return []mr.KeyValue{
		{Key: "a", Value: filename},
		{Key: "b", Value: strconv.Itoa(len(filename))},
		{Key: "c", Value: strconv.Itoa(len(contents))},
		{Key: "d", Value: "xyzzy"},
	}
}

// Reduce returns the values sorted and joined with spaces.
func Reduce(key string, values []string) string {
	vv := make([]string, len(values))
	copy(vv, values)
	sort.Strings(vv)
	return strings.Join(vv, " ")
}
