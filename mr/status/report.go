package status

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Report files.
const (
	// tempPrefix starts the names of files still being written.
	tempPrefix = ".mr-tmp-"
	// reportPerm is the mode of report files: readable by everyone.
	reportPerm = 0o644
	// JSONExt and HTMLExt end the names of the two report files.
	JSONExt = ".json"
	HTMLExt = ".html"
)

// WriteReport writes the final status of a job into dir as base+".json"
// (the snapshot, as served at /status.json) and base+".html" (the status
// page without auto-refresh, drawn as of s.Job.Ended, or now if that is
// zero). Each file appears whole or not at all: it is written to a
// temporary file in dir and renamed. base must be a plain file name.
func WriteReport(dir, base string, s Snapshot) (jsonPath, htmlPath string, err error) {
	if base == "" || base != filepath.Base(base) {
		return "", "", fmt.Errorf("write report: base %q is not a plain file name", base)
	}
	// The two files at once: a job's report is written after its last
	// task, and of a job of thousands of tiny tasks it is a good part of
	// the time left.
	var htmlErr error
	htmlDone := make(chan struct{})
	go func() {
		defer close(htmlDone)
		htmlPath, htmlErr = writeAtomic(dir, base+HTMLExt, func(w io.Writer) error { return RenderPage(w, s, reportTime(s), 0) })
	}()
	jsonPath, err = writeAtomic(dir, base+JSONExt, func(w io.Writer) error { return writeIndented(w, s) })
	<-htmlDone
	if err = errors.Join(err, htmlErr); err != nil {
		return "", "", fmt.Errorf("write report: %w", err)
	}
	return jsonPath, htmlPath, nil
}

// reportTime is the moment a report of s describes: the job's end, or now
// while it runs.
func reportTime(s Snapshot) time.Time {
	if s.Job.Ended.IsZero() {
		return time.Now()
	}
	return s.Job.Ended
}

// EncodeReport returns the job report of s as WriteReport writes it: the
// JSON and the HTML page.
func EncodeReport(s Snapshot) (jsonData, html []byte, err error) {
	data, err := encodeIndented(s)
	if err != nil {
		return nil, nil, fmt.Errorf("write report: %w", err)
	}
	var page bytes.Buffer
	if err := RenderPage(&page, s, reportTime(s), 0); err != nil {
		return nil, nil, fmt.Errorf("write report: %w", err)
	}
	return data, page.Bytes(), nil
}

// writeAtomic writes what write writes to dir/name, through a buffer,
// via a temporary file in dir that is renamed into place, and returns the
// path written. On error nothing is left behind.
func writeAtomic(dir, name string, write func(io.Writer) error) (string, error) {
	path := filepath.Join(dir, name)
	tmp, err := os.CreateTemp(dir, tempPrefix+name+"-*")
	if err != nil {
		return "", fmt.Errorf("create temp file for %s: %w", path, err)
	}
	buf := bufio.NewWriter(tmp)
	err = write(buf)
	if err == nil {
		err = buf.Flush()
	}
	if err == nil {
		err = tmp.Chmod(reportPerm)
	}
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name()) // best effort; the write error matters more
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}
