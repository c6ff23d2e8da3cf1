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
	"math/bits"
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

// Byte classes of the scanner: an ASCII byte that is not a letter, an
// ASCII letter, and a byte of a multi-byte sequence (or invalid UTF-8),
// which must be decoded to tell.
const (
	classSeparator = iota
	classLetter
	classMulti
)

// byteClass[b] is the class of byte b.
var byteClass = func() (t [256]uint8) {
	for b := range t {
		switch {
		case b >= utf8.RuneSelf:
			t[b] = classMulti
		case unicode.IsLetter(rune(b)):
			t[b] = classLetter
		}
	}
	return t
}()

// forEachWord calls fn with every maximal run of letters in s. Invalid
// UTF-8 decodes to one-byte utf8.RuneError, which is no letter. ASCII
// runs are scanned by class alone; only multi-byte sequences are decoded.
func forEachWord(s string, fn func(word string)) {
	for i := 0; i < len(s); {
		i = skipSeparators(s, i)
		if i == len(s) {
			return
		}
		start := i
		i = skipLetters(s, i)
		fn(s[start:i])
	}
}

// skipSeparators returns the index of the first letter of s at or after
// i, or len(s).
func skipSeparators(s string, i int) int {
	for i < len(s) {
		if w, ok := asciiWord(s, i); ok {
			if letters := letterMask(w); letters != 0 {
				return i + bits.TrailingZeros64(letters)/8
			}
			i += wordBytes
			continue
		}
		switch byteClass[s[i]] {
		case classSeparator:
			i++
		case classLetter:
			return i
		default:
			r, width := utf8.DecodeRuneInString(s[i:])
			if unicode.IsLetter(r) {
				return i
			}
			i += width
		}
	}
	return i
}

// skipLetters returns the index of the first byte after the run of
// letters of s that starts at i.
func skipLetters(s string, i int) int {
	for i < len(s) {
		if w, ok := asciiWord(s, i); ok {
			if others := ^letterMask(w) & highBits; others != 0 {
				return i + bits.TrailingZeros64(others)/8
			}
			i += wordBytes
			continue
		}
		switch byteClass[s[i]] {
		case classLetter:
			i++
		case classSeparator:
			return i
		default:
			r, width := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsLetter(r) {
				return i
			}
			i += width
		}
	}
	return i
}

// The scanner reads ASCII text eight bytes at a time, as one uint64
// (byte k of the text in bits 8k..8k+7): wordBytes is those eight bytes,
// and each constant below repeats one byte value in all of them.
const (
	wordBytes = 8
	ones      = 0x0101010101010101
	highBits  = 0x80 * ones
	lowBits   = 0x7f * ones
	caseBit   = 0x20 * ones // ORed in, it makes an ASCII letter lower case
	// A lower-case letter is a byte above letterBelow and below
	// letterAbove ('a'-1 and 'z'+1).
	letterBelow = 'a' - 1
	letterAbove = 'z' + 1
)

// asciiWord returns the eight bytes of s from i as a uint64, and false if
// there are fewer than eight or any of them is not ASCII.
func asciiWord(s string, i int) (uint64, bool) {
	if i+wordBytes > len(s) {
		return 0, false
	}
	b := s[i : i+wordBytes]
	w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
	return w, w&highBits == 0
}

// letterMask returns, for eight ASCII bytes w, 0x80 in every byte that is
// a letter and 0 in every other: each byte, lower-cased, is tested for
// lying between letterBelow and letterAbove with no carry between bytes,
// as every byte is below 0x80.
func letterMask(w uint64) uint64 {
	x := w | caseBit
	belowTop := letterAbove*ones + lowBits - x      // high bit set where x < letterAbove
	aboveBottom := x + (lowBits - letterBelow*ones) // high bit set where x > letterBelow
	return belowTop & aboveBottom & highBits
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
