// The badsig application is a broken application used by test-mr.sh: its Map
// has the wrong signature, and a worker must refuse to load it, naming Map
// and the type it found.
package main

import (
	"strconv"

	"6.5840/mr"
)

// Map has the wrong signature on purpose: it lacks the contents argument.
func Map(filename string) []mr.KeyValue {
	return []mr.KeyValue{{Key: filename, Value: "1"}}
}

// Reduce returns the number of values.
func Reduce(key string, values []string) string {
	return strconv.Itoa(len(values))
}
