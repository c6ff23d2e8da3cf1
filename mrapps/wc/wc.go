// The wc application counts words: for every word of the input (a maximal
// run of letters) it outputs the number of times the word occurs across all
// input files.
//
// It is the canonical example application and also exercises the optional
// exports: MapEmit streams each pair to the engine instead of returning a
// slice (Map is there too, for mrsequential-style callers and as the lab's
// form), and Combine sums the counts of one map task's output before it is
// written; Reduce sums whatever values it gets, so the output is the same
// whether or not the engine applies the combiner.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o wc.so ./mrapps/wc
package main

import (
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf8"

	"6.5840/mr"
)

// Map emits (word, "1") for every word of contents: every maximal run of
// letters (unicode.IsLetter), exactly the fields of
// strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) }).
// It scans twice, counting the words and then slicing them, so that it
// allocates the result once and copies no text.
func Map(filename string, contents string) []mr.KeyValue {
	kva := make([]mr.KeyValue, 0, countWords(contents))
	forEachWord(contents, func(w string) { kva = append(kva, mr.KeyValue{Key: w, Value: one}) })
	return kva
}

// MapEmit emits (word, "1") for every word of contents, the pairs Map
// returns, without building a slice: the engine partitions and combines
// each pair as it comes. The words are slices of contents.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	forEachWord(contents, func(w string) { emit(w, one) })
}

// one is every word's count in Map's output.
const one = "1"

// asciiLetter[b] says whether the ASCII byte b is a letter.
var asciiLetter = func() (t [utf8.RuneSelf]bool) {
	for b := range t {
		t[b] = unicode.IsLetter(rune(b))
	}
	return t
}()

// letterAt reports whether s holds a letter at byte i, and its width.
// Invalid UTF-8 decodes to one-byte utf8.RuneError, which is no letter.
func letterAt(s string, i int) (bool, int) {
	if b := s[i]; b < utf8.RuneSelf {
		return asciiLetter[b], 1
	}
	r, width := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r), width
}

// forEachWord calls fn with every maximal run of letters in s.
func forEachWord(s string, fn func(word string)) {
	start := -1
	for i := 0; i < len(s); {
		// ASCII inline, the rest through letterAt.
		letter, width := false, 1
		if b := s[i]; b < utf8.RuneSelf {
			letter = asciiLetter[b]
		} else {
			letter, width = letterAt(s, i)
		}
		switch {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			fn(s[start:i])
			start = -1
		}
		i += width
	}
	if start >= 0 {
		fn(s[start:])
	}
}

func countWords(s string) int {
	n := 0
	forEachWord(s, func(string) { n++ })
	return n
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
		if len(v) == 1 && v[0] >= '0' && v[0] <= '9' {
			total += int(v[0] - '0') // Map's "1", most of the time
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			panic(fmt.Sprintf("wc: key %q has non-integer value %q", key, v))
		}
		total += n
	}
	return total
}
