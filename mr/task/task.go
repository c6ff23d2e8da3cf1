// Package task names the units of work of a MapReduce job: map and reduce
// tasks, and the attempts that run them.
package task

import "fmt"

// Kind says whether a task is a map or a reduce task.
type Kind uint8

// The task kinds. The zero Kind is invalid so that a forgotten field is caught.
const (
	Map Kind = iota + 1
	Reduce
)

// String returns "map" or "reduce".
func (k Kind) String() string {
	switch k {
	case Map:
		return "map"
	case Reduce:
		return "reduce"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Valid reports whether k is Map or Reduce.
func (k Kind) Valid() bool { return k == Map || k == Reduce }

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
