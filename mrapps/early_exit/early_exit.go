// The early_exit application is a test application that checks that no
// process exits before the job's output is complete.
//
// Map emits (filename, "1"); Reduce returns the number of values, but takes
// 3 seconds for keys containing "sherlock" or "tom". test-mr.sh snapshots the
// output as soon as the first process exits and expects it to equal the
// final output.
//
// Build it as a plugin:
//
//	go build -buildmode=plugin -o early_exit.so ./mrapps/early_exit
package main

import (
	"strconv"
	"strings"
	"time"

	"6.5840/mr"
)

// Map emits (filename, "1").
func Map(filename string, contents string) []mr.KeyValue {
	return []mr.KeyValue{{Key: filename, Value: "1"}}
}

// Reduce returns the number of values, slowly for some keys.
func Reduce(key string, values []string) string {
	if strings.Contains(key, "sherlock") || strings.Contains(key, "tom") {
		time.Sleep(3 * time.Second)
	}
	return strconv.Itoa(len(values))
}
