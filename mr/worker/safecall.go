package worker

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// maxStackLines bounds the stack trace kept in a panic's error message.
const maxStackLines = 16

// safeCall runs f and turns a panic in it into an error carrying the panic
// value and the top of the stack, so that a crashing Map or Reduce is
// reported as a failed attempt rather than a silently dead worker.
func safeCall(what string, f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			lines := strings.Split(string(debug.Stack()), "\n")
			if len(lines) > maxStackLines {
				lines = lines[:maxStackLines]
			}
			err = fmt.Errorf("%s panicked: %v\n%s", what, v, strings.Join(lines, "\n"))
		}
	}()
	f()
	return nil
}
