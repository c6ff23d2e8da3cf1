// Package main is a test instrument for the end-to-end fault tests: word
// count whose Map leaves a trace of every call and can be told, through the
// environment, to be slow or to fail.
//
//	PROBE_DIR          where Map writes one marker file per call
//	                   (probe-map-INPUT-PID-N); default "."
//	PROBE_MAP_SLEEP    a duration Map sleeps before returning, e.g. "10s"
//	PROBE_POISON       Map panics for an input whose name contains this
//	PROBE_MAP_HANG     Map never returns for an input whose name contains this
//	PROBE_MAP_GATE     a file name: Map waits until that file exists
//	PROBE_REDUCE_GATE  a file name: the first Reduce call of the process
//	                   leaves the marker probe-reduce-waiting-PID in
//	                   PROBE_DIR, then waits until that file exists
//	PROBE_REDUCE_GATE_AFTER  a number N: the gate waits in the process's
//	                   call N+1 instead of its first
//	PROBE_REDUCE_SLEEP a duration the first Reduce call of the process
//	                   sleeps, e.g. "3s"
//	PROBE_REDUCE_PAD   a number N: Reduce's value ends in N dots, to make
//	                   outputs of several upload parts
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"6.5840/mr"
)

var calls, reduceCalls atomic.Int64

// gateOnce makes only the first Reduce call wait at the gate, and
// sleepOnce only the first sleep.
var gateOnce, sleepOnce sync.Once

// gatePoll is how often a Reduce at the gate looks for the file.
const gatePoll = 10 * time.Millisecond

// Map counts words, after leaving a marker and obeying PROBE_*.
func Map(filename string, contents string) []mr.KeyValue {
	dir := os.Getenv("PROBE_DIR")
	if dir == "" {
		dir = "."
	}
	marker := fmt.Sprintf("probe-map-%s-%d-%d", filepath.Base(filename), os.Getpid(), calls.Add(1))
	if err := os.WriteFile(filepath.Join(dir, marker), nil, 0o644); err != nil {
		panic(err)
	}
	if poison := os.Getenv("PROBE_POISON"); poison != "" && strings.Contains(filename, poison) {
		panic(fmt.Sprintf("poison record in %s", filename))
	}
	if hang := os.Getenv("PROBE_MAP_HANG"); hang != "" && strings.Contains(filename, hang) {
		select {}
	}
	if gate := os.Getenv("PROBE_MAP_GATE"); gate != "" {
		waitFor(gate)
	}
	if d, err := time.ParseDuration(os.Getenv("PROBE_MAP_SLEEP")); err == nil {
		time.Sleep(d)
	}
	words := strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) })
	kvs := make([]mr.KeyValue, len(words))
	for i, w := range words {
		kvs[i] = mr.KeyValue{Key: w, Value: "1"}
	}
	return kvs
}

// Reduce returns the number of occurrences, after waiting at the gate.
func Reduce(key string, values []string) string {
	earlier := reduceCalls.Add(1) - 1
	after, _ := strconv.ParseInt(os.Getenv("PROBE_REDUCE_GATE_AFTER"), 10, 64)
	if gate := os.Getenv("PROBE_REDUCE_GATE"); gate != "" && earlier >= after {
		gateOnce.Do(func() { waitAtGate(gate) })
	}
	if d, err := time.ParseDuration(os.Getenv("PROBE_REDUCE_SLEEP")); err == nil {
		sleepOnce.Do(func() { time.Sleep(d) })
	}
	pad, _ := strconv.Atoi(os.Getenv("PROBE_REDUCE_PAD"))
	return strconv.Itoa(len(values)) + strings.Repeat(".", pad)
}

// waitAtGate leaves the waiting marker and waits until the file gate exists.
func waitAtGate(gate string) {
	dir := os.Getenv("PROBE_DIR")
	if dir == "" {
		dir = "."
	}
	marker := fmt.Sprintf("probe-reduce-waiting-%d", os.Getpid())
	if err := os.WriteFile(filepath.Join(dir, marker), nil, 0o644); err != nil {
		panic(err)
	}
	waitFor(gate)
}

// waitFor waits until the file exists.
func waitFor(file string) {
	for {
		if _, err := os.Stat(file); err == nil {
			return
		}
		time.Sleep(gatePoll)
	}
}
