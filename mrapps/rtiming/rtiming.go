// The rtiming application is a test application that checks that reduce
// tasks run in parallel on different workers.
//
// Map emits the keys "a" to "j". Each Reduce call leaves a marker file
// mr-worker-reduce-PID in the working directory for one second and returns
// the number of live workers it saw inside Reduce at the same moment;
// test-mr.sh expects at least two keys whose value is 2.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o rtiming.so ./mrapps/rtiming
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"6.5840/mr"
)

// nparallel announces that this process is in phase ("map" or "reduce") with
// a marker file, counts the processes that have announced the same and are
// still alive, holds the marker for a second so that others can see it, and
// returns the count.
func nparallel(phase string) int {
	prefix := fmt.Sprintf("mr-worker-%s-", phase)
	marker := fmt.Sprintf("%s%d", prefix, os.Getpid())
	if err := os.WriteFile(marker, []byte("x"), 0o666); err != nil {
		panic(err)
	}

	entries, err := os.ReadDir(".")
	if err != nil {
		panic(err)
	}
	n := 0
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(rest)
		if err != nil || pid <= 0 {
			continue
		}
		if syscall.Kill(pid, 0) == nil {
			n++
		}
	}

	time.Sleep(time.Second)

	if err := os.Remove(marker); err != nil && !errors.Is(err, fs.ErrNotExist) {
		panic(err)
	}
	return n
}

// Map emits the keys "a" to "j", each with value "1".
func Map(filename string, contents string) []mr.KeyValue {
	kva := make([]mr.KeyValue, 0, 10)
	for c := 'a'; c <= 'j'; c++ {
		kva = append(kva, mr.KeyValue{Key: string(c), Value: "1"})
	}
	return kva
}

// Reduce returns the number of workers that were inside Reduce at the same
// time as this call.
func Reduce(key string, values []string) string {
	n := nparallel("reduce")
	return fmt.Sprintf("%d", n)
}
