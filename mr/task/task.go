// Package task names the units of work of a MapReduce job: map and reduce
// tasks, and the attempts that run them.
package task

import "fmt"

// Kind says whether a task is a map, a reduce or a sample task.
type Kind uint8

// The task kinds. The zero Kind is invalid so that a forgotten field is
// caught. A Sample task runs Map over the start of one input to sample
// its keys, before the map tasks of a job in total order; its output is
// the keys, not a file.
const (
	Map Kind = iota + 1
	Reduce
	Sample
)

// String returns "map", "reduce" or "sample".
func (k Kind) String() string {
	switch k {
	case Map:
		return "map"
	case Reduce:
		return "reduce"
	case Sample:
		return "sample"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Valid reports whether k is Map, Reduce or Sample.
func (k Kind) Valid() bool { return k == Map || k == Reduce || k == Sample }

// ID identifies a task within a job: map tasks are numbered 0..M-1 (one per
// input), reduce tasks 0..R-1 (one per partition).
type ID struct {
	Kind  Kind
	Index int
}

// String returns a form such as "map-3" suitable for logs.
func (id ID) String() string { return fmt.Sprintf("%s-%d", id.Kind, id.Index) }

// AttemptID identifies one run of a task. Attempts of a task are numbered
// from 1 in the order they are handed out.
type AttemptID struct {
	Task    ID
	Attempt int
}

// String returns a form such as "map-3.2" suitable for logs.
func (a AttemptID) String() string { return fmt.Sprintf("%s.%d", a.Task, a.Attempt) }

// Input is what a map task reads: a whole file (or object) when Length
// is negative, else the lines of it that start in [Offset, Offset+Length).
type Input struct {
	Path   string
	Offset int64
	Length int64
	// ETag, for an object in a bucket, is the version the job listed:
	// every read of the task asks for it.
	ETag string
}

// WholeFile returns the Input that is all of path.
func WholeFile(path string) Input { return Input{Path: path, Length: -1} }

// String returns the path, with the byte range for a split; "" for no
// input (a reduce task's).
func (in Input) String() string {
	if in.Length < 0 || in.Path == "" {
		return in.Path
	}
	return fmt.Sprintf("%s[%d:%d]", in.Path, in.Offset, in.Offset+in.Length)
}

// Split cuts a file of size bytes into inputs of at most splitSize bytes;
// with splitSize <= 0, or a file no larger, the file is one input.
func Split(path string, size, splitSize int64) []Input {
	if splitSize <= 0 || size <= splitSize {
		return []Input{WholeFile(path)}
	}
	var inputs []Input
	for off := int64(0); off < size; off += splitSize {
		inputs = append(inputs, Input{Path: path, Offset: off, Length: min(splitSize, size-off)})
	}
	return inputs
}
