// The nomap application is a broken application used by test-mr.sh: it
// exports Reduce but no Map, and a worker must refuse to load it, naming
// Map.
package main

import "strconv"

// Reduce returns the number of values.
func Reduce(key string, values []string) string {
	return strconv.Itoa(len(values))
}
