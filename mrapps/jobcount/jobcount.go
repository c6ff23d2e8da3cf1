// The jobcount application is a test application that checks that each map
// task is executed exactly once when no worker fails.
//
// Every Map call leaves a new marker file mr-worker-jobcount-PID-N in the
// working directory, takes 2 to 5 seconds, and emits ("a", "x"). Reduce
// returns the number of marker files, so with 8 inputs the output must be
// "a 8"; a larger number means the engine ran a map task more than once.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o jobcount.so ./mrapps/jobcount
package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"6.5840/mr"
)

// count numbers the Map calls of this process, so that marker names differ.
var count atomic.Int64

// Map records the call with a marker file, sleeps 2 to 5 seconds, and emits
// ("a", "x").
func Map(filename string, contents string) []mr.KeyValue {
	n := count.Add(1) - 1
	marker := fmt.Sprintf("mr-worker-jobcount-%d-%d", os.Getpid(), n)
	if err := os.WriteFile(marker, []byte("x"), 0o666); err != nil {
		panic(err)
	}
	time.Sleep(time.Duration(2000+rand.IntN(3000)) * time.Millisecond)
	return []mr.KeyValue{{Key: "a", Value: "x"}}
}

// Reduce returns the number of Map calls made, counted from the marker files
// in the working directory.
func Reduce(key string, values []string) string {
	entries, err := os.ReadDir(".")
	if err != nil {
		panic(err)
	}
	invocations := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "mr-worker-jobcount") {
			invocations++
		}
	}
	return strconv.Itoa(invocations)
}
