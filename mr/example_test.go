package mr_test

import (
	"fmt"
	"strings"

	"6.5840/mr"
)

// An application's Map returns KeyValue pairs; by default the pair goes to
// reduce task Hash(key) % nReduce.
func ExampleHash() {
	kv := mr.KeyValue{Key: "whale", Value: "1"}
	const nReduce = 10
	fmt.Println(mr.Hash(kv.Key)%nReduce == mr.Hash("whale")%nReduce, mr.Hash(kv.Key) >= 0)
	// Output: true true
}

// Applications count events with Count; the job's totals include only the
// counts of committed attempts.
func ExampleCount() {
	mr.Count("lines", 3)
	mr.Count("lines", 2)
	fmt.Println(mr.TakeCounts()["lines"], len(mr.TakeCounts()))
	// Output: 5 0
}

// MapEmit is Map that hands each pair to emit instead of returning a
// slice. This one is word count's, over space-separated words: the keys
// are substrings of contents, which the engine may keep, and the value a
// constant.
func MapEmit(filename string, contents string, emit func(key, value string)) {
	for _, w := range strings.Fields(contents) {
		emit(w, "1")
	}
}

// A plugin exporting MapEmit gets every pair through emit, in order; the
// engine partitions and combines them as they come.
func Example_mapEmit() {
	counts := map[string]int{}
	MapEmit("in.txt", "the cat saw the dog", func(key, value string) {
		counts[key]++
	})
	fmt.Println(counts["the"], counts["dog"], len(counts))
	// Output: 2 1 4
}
