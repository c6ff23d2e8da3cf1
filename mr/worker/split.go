package worker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"unsafe"

	"6.5840/mr/s3"
	"6.5840/mr/s3job"
	"6.5840/mr/task"
)

// scanChunk is the size of the buffer that looks for the end of a line
// a split skips or finishes: memory for it stays this, however long the
// line.
const scanChunk = 32 << 10

// bucketFunc returns the client of the job's bucket, made on first use.
type bucketFunc func() (*s3.Client, error)

// readInput returns the contents of a map task's input: the whole file,
// or the lines of a split (see readSplit). An input in a bucket
// (s3://...) is read in ranges through bucket's client.
func readInput(ctx context.Context, bucket bucketFunc, s task.Input) (string, error) {
	if s3.IsLocation(s.Path) {
		return readObject(ctx, bucket, s)
	}
	if s.Length < 0 {
		data, err := readWholeFile(s.Path)
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
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read input: %w", err)
	}
	data, err := readSplit(io.NewSectionReader(f, 0, info.Size()), s.Offset, s.Length, make([]byte, scanChunk))
	if err != nil {
		return "", fmt.Errorf("read input %s: %w", s.Path, err)
	}
	return data, nil
}

// readObject returns the contents of a map task's input in a bucket: the
// whole object, or the lines of a split, read in ranges of the version
// the job listed.
func readObject(ctx context.Context, bucket bucketFunc, s task.Input) (string, error) {
	c, err := bucket()
	if err != nil {
		return "", fmt.Errorf("read input %s: %w", s.Path, err)
	}
	r, size, err := s3job.OpenInput(ctx, c, s.Path, s.ETag)
	if err != nil {
		return "", fmt.Errorf("read input: %w", err)
	}
	if s.Length < 0 {
		data := make([]byte, size)
		if _, err := r.ReadAt(data, 0); err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read input: %w", err)
		}
		return bytesToString(data), nil
	}
	data, err := readSplit(io.NewSectionReader(r, 0, size), s.Offset, s.Length, make([]byte, scanChunk))
	if err != nil {
		return "", fmt.Errorf("read input %s: %w", s.Path, err)
	}
	return data, nil
}

// readSplit returns the lines of r that start in [offset, offset+length):
// a line that starts in the range is read to its end even past the range,
// and a line that starts before it is left to the previous split, so that
// splits cut at byte offsets still hand Map whole lines, each exactly once
// (Hadoop's rule). It looks for the ends of lines through buf, so the
// bytes it skips or scans are never held: it allocates only the lines it
// returns. A range past the end of r (its file shrank) is cut at the end.
func readSplit(r *io.SectionReader, offset, length int64, buf []byte) (string, error) {
	start, end := offset, min(offset+length, r.Size())
	if start > 0 {
		// The first line starts after the first '\n' at or after the byte
		// before the range; none inside the range leaves the split empty.
		var err error
		if start, err = pastNewline(r, buf, start-1, end); err != nil {
			return "", err
		}
	}
	if start >= end {
		return "", nil
	}
	// The last line is the one that holds the range's last byte.
	stop, err := pastNewline(r, buf, end-1, math.MaxInt64)
	if err != nil {
		return "", err
	}
	if stop <= start {
		return "", nil
	}
	data := make([]byte, stop-start)
	n, err := r.ReadAt(data, start)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return bytesToString(data[:n]), nil
}

// pastNewline returns the offset just past the first '\n' in r at or after
// from and before limit, else limit or the end of r, whichever is first.
// It reads through buf and keeps nothing.
func pastNewline(r io.ReaderAt, buf []byte, from, limit int64) (int64, error) {
	for pos := from; pos < limit; {
		chunk := buf[:min(int64(len(buf)), limit-pos)]
		n, err := r.ReadAt(chunk, pos)
		if i := bytes.IndexByte(chunk[:n], '\n'); i >= 0 {
			return pos + int64(i) + 1, nil
		}
		pos += int64(n)
		if errors.Is(err, io.EOF) {
			return pos, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return limit, nil
}

// bytesToString returns data as a string without copying; data must never
// be modified afterwards.
func bytesToString(data []byte) string {
	if len(data) == 0 {
		return ""
	}
	return unsafe.String(&data[0], len(data))
}
