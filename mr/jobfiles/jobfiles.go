// Package jobfiles names the files a job writes in its working directory,
// so that no other package spells a file name pattern.
package jobfiles

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const (
	// OutputPrefix starts the name of every final output file.
	OutputPrefix = "mr-out-"
	// intermediatePrefix starts the name of every map output file.
	intermediatePrefix = "mr-im-"
	// Journal is the coordinator's journal of commits.
	Journal = "mr-journal"
	// TempPrefix starts the name of every file still being written; such a
	// file is renamed to its final name when complete.
	TempPrefix = ".mr-tmp-"
)

// Output returns the name of reduce task r's output file, "mr-out-r".
func Output(reduce int) string { return fmt.Sprintf("%s%d", OutputPrefix, reduce) }

// Intermediate returns the name of the output file of attempt attempt of
// map task mapTask, which holds one section per reduce partition. Naming
// the attempt keeps two attempts of one task from ever mixing their
// partitions.
func Intermediate(mapTask, attempt int) string {
	return fmt.Sprintf("%sm%d-a%d", intermediatePrefix, mapTask, attempt)
}

// Spill returns the name of the n-th sorted run that map attempt attempt of
// map task mapTask spilled for partition reduce. Spills are scratch files:
// they carry TempPrefix, so RemoveScratch removes any left behind.
func Spill(mapTask, attempt, reduce, n int) string {
	return fmt.Sprintf("%sspill-m%d-a%d-r%d-%d", TempPrefix, mapTask, attempt, reduce, n)
}

// MergeRun returns the name of the n-th partial merge of reduce attempt
// attempt of reduce task reduce, a scratch file like Spill's.
func MergeRun(reduce, attempt, n int) string {
	return fmt.Sprintf("%smerge-r%d-a%d-%d", TempPrefix, reduce, attempt, n)
}

// RemoveScratch removes the intermediate and temporary files in dir, leaving
// only the final outputs. It returns the first error met, after trying all.
func RemoveScratch(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	var first error
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, intermediatePrefix) && !strings.HasPrefix(name, TempPrefix) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !os.IsNotExist(err) && first == nil {
			first = err
		}
	}
	return first
}

// RemoveOutputs removes the output files of reduce tasks 0..nReduce-1 in dir.
func RemoveOutputs(dir string, nReduce int) error {
	var first error
	for r := range nReduce {
		if err := os.Remove(filepath.Join(dir, Output(r))); err != nil && !os.IsNotExist(err) && first == nil {
			first = err
		}
	}
	return first
}
