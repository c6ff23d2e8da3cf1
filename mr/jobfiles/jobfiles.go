// Package jobfiles names the files a job writes in its working directory,
// so that no other package spells a file name pattern.
//
// Every file an attempt writes carries the attempt's tag, "m3-a2" for
// attempt 2 of map task 3 or "r3-a2" for reduce task 3: its map output
// file (mr-im-m3-a2) and its scratch files (.mr-tmp-m3-a2-spill-r0-1,
// .mr-tmp-r3-a2-out, and the temporary .mr-tmp-mr-im-m3-a2-* of a file
// being written). Owner reads the tag back, so cleanup can follow a list
// of attempts instead of deleting whatever matches a pattern.
package jobfiles

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"6.5840/mr/task"
)

const (
	// OutputPrefix starts the name of every final output file.
	OutputPrefix = "mr-out-"
	// intermediatePrefix starts the name of every map output file.
	intermediatePrefix = "mr-im-"
	// segmentPrefix starts the name of every segment file.
	segmentPrefix = "mr-seg-"
	// Journal is the coordinator's journal of commits.
	Journal = "mr-journal"
	// Lock is the file a coordinator locks to own the job folder: one
	// folder, one coordinator.
	Lock = "mr-lock"
	// TempPrefix starts the name of every file still being written or
	// scratch; such a file is renamed to its final name when complete, or
	// removed.
	TempPrefix = ".mr-tmp-"
)

// Output returns the name of reduce task r's output file, "mr-out-r".
func Output(reduce int) string { return fmt.Sprintf("%s%d", OutputPrefix, reduce) }

// tag returns an attempt's tag, "m3-a2" or "r3-a2".
func tag(kind task.Kind, index, attempt int) string {
	letter := "m"
	if kind == task.Reduce {
		letter = "r"
	}
	return fmt.Sprintf("%s%d-a%d", letter, index, attempt)
}

// Intermediate returns the name of the output file of attempt attempt of
// map task mapTask, which holds one section per reduce partition. Naming
// the attempt keeps two attempts of one task from ever mixing their
// partitions.
func Intermediate(mapTask, attempt int) string {
	return intermediatePrefix + tag(task.Map, mapTask, attempt)
}

// Segment returns the name of the segment file that map attempt attempt
// of map task mapTask started: a worker appends its small map outputs,
// this attempt's first, to one file, so that a tiny task creates none.
// Naming the file after an attempt lets cleanup follow the list of
// attempts begun, as for every other file an attempt writes.
func Segment(mapTask, attempt int) string {
	return segmentPrefix + tag(task.Map, mapTask, attempt)
}

// Extent is where in a segment file one map output is: Length bytes from
// Offset of the segment that map attempt Segment started. The zero Extent
// means the output has a file of its own (Intermediate).
type Extent struct {
	Segment        task.AttemptID
	Offset, Length int64
}

// InSegment says the output is in a segment file.
func (e Extent) InSegment() bool { return e.Length > 0 }

// Name returns the name of the file the output is in, given the attempt
// that wrote it: its segment's, or its own (Intermediate).
func (e Extent) Name(owner task.AttemptID) string {
	if e.InSegment() {
		return Segment(e.Segment.Task.Index, e.Segment.Attempt)
	}
	return Intermediate(owner.Task.Index, owner.Attempt)
}

// Spill returns the name of the n-th sorted run, one section per
// partition, that map attempt attempt of map task mapTask spilled.
func Spill(mapTask, attempt, n int) string {
	return fmt.Sprintf("%s%s-spill-%d", TempPrefix, tag(task.Map, mapTask, attempt), n)
}

// SpillMerge returns the name of the n-th partial merge of partition
// reduce's spilled runs of map attempt attempt of map task mapTask.
func SpillMerge(mapTask, attempt, reduce, n int) string {
	return fmt.Sprintf("%s%s-merge-r%d-%d", TempPrefix, tag(task.Map, mapTask, attempt), reduce, n)
}

// MergeRun returns the name of the n-th partial merge of reduce attempt
// attempt of reduce task reduce.
func MergeRun(reduce, attempt, n int) string {
	return fmt.Sprintf("%s%s-merge-%d", TempPrefix, tag(task.Reduce, reduce, attempt), n)
}

// Fetched returns the name of reduce attempt attempt's local copy of its
// partition of map task mapTask's attempt mapAttempt, fetched from the
// worker that serves it.
func Fetched(reduce, attempt, mapTask, mapAttempt int) string {
	return fmt.Sprintf("%s%s-fetch-m%d-a%d", TempPrefix, tag(task.Reduce, reduce, attempt), mapTask, mapAttempt)
}

// StagedOutput returns the name under which reduce attempt attempt of
// reduce task reduce leaves its complete output. The coordinator renames
// the committed attempt's staged output to Output(reduce); the others are
// removed.
func StagedOutput(reduce, attempt int) string {
	return TempPrefix + tag(task.Reduce, reduce, attempt) + "-out"
}

// Owner returns the attempt that wrote the file called name, and whether
// the file is that attempt's map output or the segment it started (as
// opposed to a scratch file). It returns false for a file no attempt
// writes: inputs, outputs, the journal.
func Owner(name string) (id task.AttemptID, intermediate bool, ok bool) {
	rest, scratch := strings.CutPrefix(name, TempPrefix)
	rest, im := strings.CutPrefix(rest, intermediatePrefix)
	if !scratch && !im {
		rest, im = strings.CutPrefix(rest, segmentPrefix)
	}
	if !scratch && !im {
		return task.AttemptID{}, false, false
	}
	if rest == "" {
		return task.AttemptID{}, false, false
	}
	var kind task.Kind
	switch rest[0] {
	case 'm':
		kind = task.Map
	case 'r':
		kind = task.Reduce
	default:
		return task.AttemptID{}, false, false
	}
	index, rest, ok1 := cutNumber(rest[1:])
	rest, ok2 := strings.CutPrefix(rest, "-a")
	attempt, rest, ok3 := cutNumber(rest)
	if !ok1 || !ok2 || !ok3 || (rest != "" && rest[0] != '-') || (im && kind != task.Map) {
		return task.AttemptID{}, false, false
	}
	if im && !scratch && rest != "" {
		return task.AttemptID{}, false, false
	}
	id = task.AttemptID{Task: task.ID{Kind: kind, Index: index}, Attempt: attempt}
	return id, im && !scratch, true
}

// cutNumber splits the leading decimal number off s.
func cutNumber(s string) (int, string, bool) {
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(s[:end])
	return n, s[end:], end > 0 && err == nil
}

// RemoveOwned removes the files in dir that an attempt wrote and for which
// remove(attempt, intermediate) is true. It reads the directory once and
// returns the first error met, after trying every file.
func RemoveOwned(dir string, remove func(id task.AttemptID, intermediate bool) bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	var first error
	for _, e := range entries {
		id, im, ok := Owner(e.Name())
		if !ok || !remove(id, im) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// RemoveOutputs removes the output files of the given reduce tasks in dir.
func RemoveOutputs(dir string, reduces []int) error {
	var first error
	for _, r := range reduces {
		if err := os.Remove(filepath.Join(dir, Output(r))); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// StaleOutputs returns the names of the files in dir that look like
// outputs (mr-out-*) but that a job with nReduce reduce tasks does not
// write: mr-out-K with K >= nReduce left by an earlier job, say. Read
// with this job's outputs (cat mr-out-*) they would give a wrong answer.
func StaleOutputs(dir string, nReduce int) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var stale []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), OutputPrefix)
		if !ok {
			continue
		}
		if k, err := strconv.Atoi(rest); err != nil || k < 0 || k >= nReduce || Output(k) != e.Name() {
			stale = append(stale, e.Name())
		}
	}
	slices.Sort(stale)
	return stale, nil
}

// OutputIndex returns r for a path whose base name is mr-out-r, and
// false for any other.
func OutputIndex(path string) (int, bool) {
	rest, ok := strings.CutPrefix(filepath.Base(path), OutputPrefix)
	if !ok {
		return 0, false
	}
	r, err := strconv.Atoi(rest)
	return r, err == nil && r >= 0 && Output(r) == filepath.Base(path)
}

// InOutputOrder returns paths with the reduce outputs among them
// (mr-out-r) ordered by r, as a job in total order wrote them, not as a
// shell's glob sorts them (mr-out-10 before mr-out-2); other paths keep
// their place after them, in the order given.
func InOutputOrder(paths []string) []string {
	ordered := slices.Clone(paths)
	slices.SortStableFunc(ordered, func(a, b string) int {
		ra, oka := OutputIndex(a)
		rb, okb := OutputIndex(b)
		switch {
		case oka && okb:
			return ra - rb
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
	return ordered
}
