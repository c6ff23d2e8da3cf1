package streaming

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"6.5840/mr/app"
)

const (
	// MaxLine bounds a line of a command's stdout, in bytes, without its
	// newline: a longer one fails the attempt.
	MaxLine = 8 << 20
	// pipeBuffer is the size of the buffers on a command's pipes.
	pipeBuffer = 256 << 10
)

// errLineTooLong is returned for a stdout line longer than the bound.
var errLineTooLong = errors.New("line too long")

// lineReader reads lines of at most max bytes.
type lineReader struct {
	r    *bufio.Reader
	max  int
	long []byte // a line longer than r's buffer, gathered
	n    int64  // lines read
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, min(pipeBuffer, max+2)), max: max}
}

// next returns the next line without its "\n" and without one "\r" just
// before it, or io.EOF after the last. The slice is valid until the next
// call. A last line without a newline is a line.
func (lr *lineReader) next() ([]byte, error) {
	line, err := lr.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		lr.long = append(lr.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(lr.long) > lr.max+1 {
				return nil, fmt.Errorf("line %d: %w: more than %d bytes", lr.n+1, errLineTooLong, lr.max)
			}
			line, err = lr.r.ReadSlice('\n')
			lr.long = append(lr.long, line...)
		}
		line = lr.long
	}
	if err == io.EOF && len(line) == 0 {
		return nil, io.EOF
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	// By hand: bytes.TrimSuffix's general compare costs a tenth of the
	// engine's share of a map pipe.
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > lr.max {
		return nil, fmt.Errorf("line %d: %w: more than %d bytes", lr.n+1, errLineTooLong, lr.max)
	}
	lr.n++
	if cap(lr.long) > pipeBuffer {
		lr.long = nil // one long line's room is not kept
	}
	return line, nil
}

// pairSplitter splits lines into pairs with one allocation a line: the
// key and value share one string, and a value equal to the previous
// line's (a word count's "1") is that line's value again, so only the key
// is allocated.
type pairSplitter struct{ lastValue string }

// split splits a line into its key, before the first tab, and its value,
// after it; a line without a tab is a key with an empty value.
func (p *pairSplitter) split(line []byte) (key, value string) {
	i := bytes.IndexByte(line, '\t')
	if i < 0 {
		return string(line), ""
	}
	if v := line[i+1:]; string(v) == p.lastValue {
		return string(line[:i]), p.lastValue
	}
	pair := string(line)
	key, value = pair[:i], pair[i+1:]
	p.lastValue = value
	return key, value
}

// readPairs parses every line of r as a pair and hands it to emit.
func readPairs(r io.Reader, max int, emit func(key, value string)) error {
	lr := newLineReader(r, max)
	var pairs pairSplitter
	for {
		line, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		emit(pairs.split(line))
	}
}

// sourceError is an error of the records fed to a command, as opposed to
// one writing them to its stdin.
type sourceError struct{ err error }

func (e sourceError) Error() string { return e.err.Error() }
func (e sourceError) Unwrap() error { return e.err }

// writeRecords writes every record of in to w as "key<TAB>value\n" lines.
func writeRecords(w *bufio.Writer, in app.Records) error {
	for {
		key, value, err := in.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return sourceError{err}
		}
		w.WriteString(key)
		w.WriteByte('\t')
		w.WriteString(value)
		if err := w.WriteByte('\n'); err != nil {
			return err
		}
	}
}
