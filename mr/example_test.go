package mr_test

import (
	"fmt"

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
