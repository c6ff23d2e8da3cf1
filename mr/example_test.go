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
