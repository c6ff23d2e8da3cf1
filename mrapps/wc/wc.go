// The wc application counts words: for every word of the input (a maximal
// run of letters) it outputs the number of times the word occurs across all
// input files.
//
// It is the canonical example application and also exercises the optional
// combiner: Combine sums the counts of one map task's output before it is
// written, and Reduce sums whatever values it gets, so the output is the same
// whether or not the engine applies the combiner.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o wc.so ./mrapps/wc
package main

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"6.5840/mr"
)

// Map emits (word, "1") for every word of contents.
func Map(filename string, contents string) []mr.KeyValue {
	words := strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) })
	kva := make([]mr.KeyValue, 0, len(words))
	for _, w := range words {
		kva = append(kva, mr.KeyValue{Key: w, Value: "1"})
	}
	return kva
}

// Reduce returns the total count of key: the sum of its values.
func Reduce(key string, values []string) string {
	return strconv.Itoa(sum(key, values))
}

// Combine pre-aggregates one map task's counts for key; it returns the sum
// of the values, like Reduce.
func Combine(key string, values []string) string {
	return strconv.Itoa(sum(key, values))
}

// sum adds up values, which are decimal integers produced by Map or Combine.
func sum(key string, values []string) int {
	total := 0
	for _, v := range values {
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(fmt.Sprintf("wc: key %q has non-integer value %q", key, v))
		}
		total += n
	}
	return total
}
