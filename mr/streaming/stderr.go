package streaming

import (
	"bufio"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"6.5840/mr"
)

const (
	// StderrTail is how many of a command's last stderr lines (other than
	// reporter lines) a failure message quotes.
	StderrTail = 10
	// maxStderrLine bounds a stderr line as logged and kept; the rest of
	// a longer line is dropped.
	maxStderrLine = 4 << 10
	// Reporter line prefixes (see the package doc).
	counterPrefix = "reporter:counter:"
	statusPrefix  = "reporter:status:"
	// counterFields is the number of comma-separated fields of a counter
	// line: GROUP, NAME, AMOUNT.
	counterFields = 3
)

// stderrTail keeps the last StderrTail lines of a command's stderr.
type stderrTail struct {
	mu   sync.Mutex // guards kept
	kept []string
}

func (t *stderrTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.kept) == StderrTail {
		copy(t.kept, t.kept[1:])
		t.kept = t.kept[:StderrTail-1]
	}
	t.kept = append(t.kept, line)
}

func (t *stderrTail) lines() []string {
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.kept...)
}

// readStderr handles each stderr line of the command until EOF: reporter
// lines count or report status, others are logged and kept in tail.
func (p process) readStderr(r io.Reader, tail *stderrTail) {
	br := bufio.NewReaderSize(r, maxStderrLine)
	for {
		chunk, err := br.ReadSlice('\n')
		line := strings.TrimSuffix(strings.TrimSuffix(string(chunk), "\n"), "\r")
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = br.ReadSlice('\n') // drop the rest of a long line
		}
		if len(chunk) > 0 {
			p.stderrLine(line, tail)
		}
		if err != nil {
			return
		}
	}
}

// stderrLine handles one stderr line.
func (p process) stderrLine(line string, tail *stderrTail) {
	log := p.log.With("attempt", p.at.ID, "role", p.role)
	switch {
	case strings.HasPrefix(line, counterPrefix):
		name, amount, err := parseCounter(line[len(counterPrefix):])
		if err != nil {
			log.Warn("bad reporter line ignored", "line", line, "err", err)
			return
		}
		mr.Count(name, amount)
	case strings.HasPrefix(line, statusPrefix):
		message := line[len(statusPrefix):]
		log.Info("status", "status", message)
		if p.at.SetStatus != nil {
			p.at.SetStatus(message)
		}
	default:
		log.Info("stderr", "line", line)
		tail.add(line)
	}
}

// parseCounter parses "GROUP,NAME,AMOUNT" into the counter GROUP.NAME and
// AMOUNT.
func parseCounter(s string) (string, int64, error) {
	fields := strings.Split(s, ",")
	if len(fields) != counterFields {
		return "", 0, errors.New("want GROUP,NAME,AMOUNT")
	}
	if fields[0] == "" || fields[1] == "" {
		return "", 0, errors.New("empty GROUP or NAME")
	}
	n, err := strconv.ParseInt(strings.TrimSpace(fields[2]), 10, 64)
	if err != nil {
		return "", 0, errors.New("AMOUNT is not an integer")
	}
	return fields[0] + "." + fields[1], n, nil
}
