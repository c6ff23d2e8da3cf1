// The mtiming application is a test application that checks that map tasks
// run in parallel on different workers.
//
// Each Map call leaves a marker file mr-worker-map-PID in the working
// directory for one second and counts the markers of live processes. The
// output has, per worker process, a times-PID line with the start times of
// its Map calls and a parallel-PID line with the number of workers it saw
// inside Map at the same moment; test-mr.sh expects two workers to have run
// maps and at least one of them to have seen the other.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o mtiming.so ./mrapps/mtiming
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
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

// Map emits the start time of the call and the number of workers that were
// inside Map at the same time, keyed by this process's PID.
func Map(filename string, contents string) []mr.KeyValue {
	t0 := time.Now()
	ts := float64(t0.UnixNano()) / 1e9
	pid := os.Getpid()

	n := nparallel("map")

	return []mr.KeyValue{
		{Key: fmt.Sprintf("times-%d", pid), Value: fmt.Sprintf("%.1f", ts)},
		{Key: fmt.Sprintf("parallel-%d", pid), Value: fmt.Sprintf("%d", n)},
	}
}

// Reduce returns the values sorted and joined with spaces.
func Reduce(key string, values []string) string {
	vv := make([]string, len(values))
	copy(vv, values)
	sort.Strings(vv)
	return strings.Join(vv, " ")
}
