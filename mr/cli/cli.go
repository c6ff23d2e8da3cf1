// Package cli holds what the command-line programs share: logging setup,
// a stderr that carries a live status line beside the logs, and how a
// fatal error is reported.
package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
)

// Exit codes of the programs.
const (
	ExitFailure = 1 // the job or the program failed
	ExitUsage   = 2 // bad flags or arguments
)

// Log formats accepted by NewLogger.
const (
	FormatText = "text"
	FormatJSON = "json"
)

// NewLogger returns a logger writing to w in format (FormatText or
// FormatJSON) at level, with debug messages only when verbose.
func NewLogger(w io.Writer, format string, verbose bool) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if verbose {
		opts.Level = slog.LevelDebug
	}
	switch format {
	case FormatText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case FormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("-log-format %q: want %q or %q", format, FormatText, FormatJSON)
	}
}

// Fatal prints "prog: err" on stderr and exits with code.
func Fatal(prog string, code int, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
	os.Exit(code)
}

// StartCPUProfile starts writing a CPU profile to path and returns the
// function that ends it.
func StartCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("-cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
