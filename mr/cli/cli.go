// Package cli holds what the command-line programs share: logging setup and
// how a fatal error is reported.
package cli

import (
	"fmt"
	"log/slog"
	"os"
)

// Exit codes of the programs.
const (
	ExitFailure = 1 // the job or the program failed
	ExitUsage   = 2 // bad flags or arguments
)

// NewLogger returns a text logger on stderr at level.
func NewLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// Fatal prints "prog: err" on stderr and exits with code.
func Fatal(prog string, code int, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
	os.Exit(code)
}
