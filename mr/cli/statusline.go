package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// ANSI sequence that returns to the start of the line and clears it.
const clearLine = "\r\033[K"

// StatusWriter is an output, normally stderr, shared by log lines and a
// status line. On a terminal the status line stays at the bottom and is
// redrawn in place; elsewhere each status is printed as a plain line.
type StatusWriter struct {
	// mu guards out and status, so that log lines and redraws never
	// interleave.
	mu       sync.Mutex
	out      io.Writer
	terminal bool
	status   string
}

// NewStatusWriter returns a StatusWriter on out; terminal says whether out
// is a terminal (see IsTerminal).
func NewStatusWriter(out io.Writer, terminal bool) *StatusWriter {
	return &StatusWriter{out: out, terminal: terminal}
}

// IsTerminal reports whether f is a character device, such as a terminal.
func IsTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// Write writes a log line, keeping the status line below it.
func (w *StatusWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.terminal || w.status == "" {
		return w.out.Write(p)
	}
	if _, err := io.WriteString(w.out, clearLine); err != nil {
		return 0, err
	}
	n, err := w.out.Write(p)
	if err == nil {
		_, err = io.WriteString(w.out, w.status)
	}
	return n, err
}

// SetStatus shows line as the status.
func (w *StatusWriter) SetStatus(line string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status = line
	if w.terminal {
		fmt.Fprint(w.out, clearLine+line)
	} else {
		fmt.Fprintln(w.out, line)
	}
}

// Finish ends the status line, leaving the last status on screen.
func (w *StatusWriter) Finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.terminal && w.status != "" {
		fmt.Fprintln(w.out)
	}
	w.status = ""
}

// ShowStatus sets the status to line() every interval until ctx ends, then
// once more.
func (w *StatusWriter) ShowStatus(ctx context.Context, interval time.Duration, line func() string) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			w.SetStatus(line())
			w.Finish()
			return
		case <-ticker.C:
			w.SetStatus(line())
		}
	}
}
