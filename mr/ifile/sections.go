package ifile

import (
	"encoding/binary"
	"fmt"
	"io"
)

// A map output file holds one section per reduce partition, each a complete
// intermediate stream as described in the package comment, followed by an
// index: the R+1 big-endian uint64 offsets of the section starts and of
// the end of the last section, then uint32 R and "MRIX". One file per map
// attempt, rather than one per partition, keeps the number of files (and
// of create and rename calls) at M instead of M*R.
const (
	indexMagic = "MRIX"
	// offsetSize and countSize are the widths of the index's fields.
	offsetSize = 8
	countSize  = 4
	// maxSections bounds R as read from an index, so that a damaged file
	// cannot make a reader allocate without limit.
	maxSections = 1 << 24
)

// SectionWriter writes a map output file section by section.
type SectionWriter struct {
	w       *countingWriter
	offsets []uint64
	current *Writer
}

type countingWriter struct {
	w io.Writer
	n uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += uint64(n)
	return n, err
}

// NewSectionWriter returns a SectionWriter on w.
func NewSectionWriter(w io.Writer) *SectionWriter {
	return &SectionWriter{w: &countingWriter{w: w}}
}

// Next ends the current section, if any, and starts the next, returning
// its record writer.
func (s *SectionWriter) Next() (*Writer, error) {
	if err := s.endSection(); err != nil {
		return nil, err
	}
	s.offsets = append(s.offsets, s.w.n)
	s.current = NewWriter(s.w)
	return s.current, nil
}

func (s *SectionWriter) endSection() error {
	if s.current == nil {
		return nil
	}
	err := s.current.Close()
	s.current = nil
	return err
}

// Close ends the last section and writes the index. It does not close the
// underlying writer.
func (s *SectionWriter) Close() error {
	if err := s.endSection(); err != nil {
		return err
	}
	index := make([]byte, 0, (len(s.offsets)+1)*offsetSize+countSize+len(indexMagic))
	for _, off := range append(s.offsets, s.w.n) {
		index = binary.BigEndian.AppendUint64(index, off)
	}
	index = binary.BigEndian.AppendUint32(index, uint32(len(s.offsets)))
	index = append(index, indexMagic...)
	_, err := s.w.Write(index)
	return err
}

// OpenSection returns a Reader for section i of the map output file read
// from r, which is size bytes long; name is used in error messages.
func OpenSection(r io.ReaderAt, size int64, name string, i int) (*Reader, error) {
	tail := int64(countSize + len(indexMagic))
	if size < tail {
		return nil, fmt.Errorf("%s: %w (too short for an index)", name, ErrFormat)
	}
	var buf [countSize + len(indexMagic)]byte
	if _, err := r.ReadAt(buf[:], size-tail); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if string(buf[countSize:]) != indexMagic {
		return nil, fmt.Errorf("%s: %w (no section index)", name, ErrFormat)
	}
	n := int64(binary.BigEndian.Uint32(buf[:countSize]))
	indexSize := (n+1)*offsetSize + tail
	if n > maxSections || indexSize > size {
		return nil, fmt.Errorf("%s: %w (index of %d sections)", name, ErrFormat, n)
	}
	if i < 0 || int64(i) >= n {
		return nil, fmt.Errorf("%s: %w (no section %d of %d)", name, ErrFormat, i, n)
	}
	var offs [2 * offsetSize]byte
	if _, err := r.ReadAt(offs[:], size-indexSize+int64(i)*offsetSize); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	start := binary.BigEndian.Uint64(offs[:offsetSize])
	end := binary.BigEndian.Uint64(offs[offsetSize:])
	if start > end || end > uint64(size-indexSize) {
		return nil, fmt.Errorf("%s: %w (section %d at [%d, %d) of %d bytes)", name, ErrFormat, i, start, end, size)
	}
	return NewReader(io.NewSectionReader(r, int64(start), int64(end-start)), fmt.Sprintf("%s section %d", name, i))
}
