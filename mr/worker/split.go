package worker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"unsafe"

	"6.5840/mr/task"
)

// readInput returns the contents of a map task's input. For a split, a
// line that starts in the range is read to its end even past the range, and
// a line that starts before it is left to the previous split, so that
// splits cut at byte offsets still hand Map whole lines, each exactly once.
func readInput(s task.Input) (string, error) {
	if s.Length < 0 {
		data, err := os.ReadFile(s.Path)
		if err != nil {
			return "", fmt.Errorf("read input: %w", err)
		}
		return bytesToString(data), nil
	}
	f, err := os.Open(s.Path)
	if err != nil {
		return "", fmt.Errorf("read input: %w", err)
	}
	defer f.Close()
	start := s.Offset
	if start > 0 {
		// Skip the line that started before the split: it is the previous
		// split's, unless the byte before the split ends a line.
		if _, err := f.Seek(start-1, io.SeekStart); err != nil {
			return "", fmt.Errorf("read input %s: %w", s.Path, err)
		}
		r := bufio.NewReader(f)
		skipped, err := r.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read input %s: %w", s.Path, err)
		}
		start += int64(len(skipped)) - 1
	}
	end := s.Offset + s.Length
	if start >= end {
		return "", nil
	}
	// Read the range, then on to the end of the line it ends in.
	if _, err := f.Seek(start, io.SeekStart); err != nil {
		return "", fmt.Errorf("read input %s: %w", s.Path, err)
	}
	r := bufio.NewReader(f)
	data := make([]byte, end-start)
	n, err := io.ReadFull(r, data)
	data = data[:n]
	if err == nil && (n == 0 || data[n-1] != '\n') {
		rest, rerr := r.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return "", fmt.Errorf("read input %s: %w", s.Path, rerr)
		}
		data = append(data, rest...)
	} else if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read input %s: %w", s.Path, err)
	}
	return bytesToString(data), nil
}

// bytesToString returns data as a string without copying; data must never
// be modified afterwards.
func bytesToString(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	return unsafe.String(&data[0], len(data))
}
