// The emitonly application is word count with MapEmit and no Map, used by
// test-mr.sh: a plugin may export MapEmit instead of Map, and both
// mrworker and mrsequential must take it.
package main

import (
	"strconv"
	"strings"
	"unicode"
)

// MapEmit emits (word, "1") for every maximal run of letters.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	for _, w := range strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) }) {
		emit(w, "1")
	}
}

// Reduce returns the number of occurrences.
func Reduce(key string, values []string) string {
	return strconv.Itoa(len(values))
}
