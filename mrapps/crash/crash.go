// The crash application is a test application that checks that the engine
// recovers from workers that crash or stall.
//
// Every Map and Reduce call first exits the whole worker process with one
// chance in three, or sleeps up to 10 seconds with another one chance in
// three. Otherwise it behaves exactly like nocrash, whose output
// (from mrsequential) is the expected result.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o crash.so ./mrapps/crash
package main

import (
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"6.5840/mr"
)

// maybeCrash exits the process, delays it for 0 to 10 seconds, or does
// nothing, each with one chance in three.
func maybeCrash() {
	switch rand.IntN(3) {
	case 0:
		os.Exit(1)
	case 1:
		time.Sleep(time.Duration(rand.IntN(10000)) * time.Millisecond)
	}
}

// Map emits the file name, its length, the length of the contents, and a
// constant, under the keys "a" to "d".
func Map(filename string, contents string) []mr.KeyValue {
	maybeCrash()
	return []mr.KeyValue{
		{Key: "a", Value: filename},
		{Key: "b", Value: strconv.Itoa(len(filename))},
		{Key: "c", Value: strconv.Itoa(len(contents))},
		{Key: "d", Value: "xyzzy"},
	}
}

// Reduce returns the values sorted and joined with spaces.
func Reduce(key string, values []string) string {
	maybeCrash()
	vv := make([]string, len(values))
	copy(vv, values)
	sort.Strings(vv)
	return strings.Join(vv, " ")
}
