package ifile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A map output file holds one section per reduce partition followed by an
// index, as the package comment describes. One file per map attempt,
// rather than one per partition, keeps the number of files (and of create
// and rename calls) at M instead of M*R.
const (
	indexMagic = "MRIX"
	// offsetSize and countSize are the widths of the index's fields.
	offsetSize = 8
	countSize  = 4
	// indexTailLen is the size of the index after the offsets.
	indexTailLen = countSize + crcSize + len(indexMagic)
	// maxSections bounds R as read from an index.
	maxSections = 1 << 24
	// indexChunkLen is how much of an index is read at a time: its size
	// does not bound memory use.
	indexChunkLen = 512 * offsetSize
)

// SectionWriter writes a map output file section by section.
type SectionWriter struct {
	w       *countingWriter
	offsets []uint64
	current *Writer
}

// Size returns the number of bytes written so far: the file's size once
// Close has returned.
func (s *SectionWriter) Size() int64 { return int64(s.w.n) }

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
	index := make([]byte, 0, (len(s.offsets)+1)*offsetSize+indexTailLen)
	for _, off := range append(s.offsets, s.w.n) {
		index = binary.BigEndian.AppendUint64(index, off)
	}
	index = binary.BigEndian.AppendUint32(index, uint32(len(s.offsets)))
	index = binary.BigEndian.AppendUint32(index, crc32.Checksum(index, crcTable))
	index = append(index, indexMagic...)
	_, err := s.w.Write(index)
	return err
}

// OpenSection returns a Reader for section i of the map output file read
// from r, which is size bytes long; name is used in error messages.
func OpenSection(r io.ReaderAt, size int64, name string, i int) (*Reader, error) {
	offset, length, err := SectionRange(r, size, name, i)
	if err != nil {
		return nil, err
	}
	return newReader(io.NewSectionReader(r, offset, length), fmt.Sprintf("%s section %d", name, i), length, blockTarget)
}

// SectionRange returns the byte range of section i of the map output file
// read from r, which is size bytes long, once it has checked the whole
// index: its checksum, and that the sections lie end to end from the
// start of the file to the index. Errors wrap ErrFormat, except errors
// reading r, and name the file by name.
func SectionRange(r io.ReaderAt, size int64, name string, i int) (offset, length int64, err error) {
	if size < int64(indexTailLen) {
		return 0, 0, fmt.Errorf("%s: %w (too short for an index)", name, ErrFormat)
	}
	var tail [indexTailLen]byte
	if err := readAt(r, tail[:], size-int64(indexTailLen), name); err != nil {
		return 0, 0, err
	}
	if string(tail[countSize+crcSize:]) != indexMagic {
		return 0, 0, fmt.Errorf("%s: %w (no section index)", name, ErrFormat)
	}
	n := int64(binary.BigEndian.Uint32(tail[:countSize]))
	indexStart := size - (n+1)*offsetSize - int64(indexTailLen)
	if n > maxSections || indexStart < 0 {
		return 0, 0, fmt.Errorf("%s: %w (index of %d sections in %d bytes)", name, ErrFormat, n, size)
	}
	ends, err := readIndex(r, name, indexStart, tail[:], i)
	if err != nil {
		return 0, 0, err
	}
	if i < 0 || int64(i) >= n {
		return 0, 0, fmt.Errorf("%s: %w (no section %d of %d)", name, ErrFormat, i, n)
	}
	return ends[0], ends[1] - ends[0], nil
}

// readIndex reads the offsets of the index at indexStart, whose tail
// (count, checksum and magic) is tail, a chunk at a time. It checks them
// against the checksum, and checks that they lay sections of at least
// minSectionLen bytes end to end from 0 up to indexStart. It returns
// offsets i and i+1, if they exist.
func readIndex(r io.ReaderAt, name string, indexStart int64, tail []byte, i int) (ends [2]int64, err error) {
	count := tail[:countSize]
	n := int64(binary.BigEndian.Uint32(count))
	// Sized to the index: one of a few sections is read in one small
	// allocation, not a whole chunk's.
	chunk := make([]byte, min(indexChunkLen, (n+1)*offsetSize))
	crc := uint32(0)
	prev := int64(0)
	var bad error
	for j, off := int64(0), indexStart; j <= n; {
		b := chunk[:min(int64(len(chunk)), (n+1-j)*offsetSize)]
		if err := readAt(r, b, off, name); err != nil {
			return ends, err
		}
		crc = crc32.Update(crc, crcTable, b)
		off += int64(len(b))
		for ; len(b) > 0; b, j = b[offsetSize:], j+1 {
			o := binary.BigEndian.Uint64(b)
			if j == int64(i) || j == int64(i)+1 {
				ends[j-int64(i)] = int64(o)
			}
			switch {
			case bad != nil:
			case j == 0 && o != 0:
				bad = fmt.Errorf("%s: %w (first section at %d)", name, ErrFormat, o)
			case j == n && o != uint64(indexStart):
				bad = fmt.Errorf("%s: %w (last section ends at %d, index at %d)", name, ErrFormat, o, indexStart)
			case j > 0 && (o > uint64(indexStart) || int64(o)-prev < int64(minSectionLen)):
				bad = fmt.Errorf("%s: %w (section %d at [%d, %d))", name, ErrFormat, j-1, prev, o)
			}
			prev = int64(o)
		}
	}
	if crc32.Update(crc, crcTable, count) != binary.BigEndian.Uint32(tail[countSize:]) {
		return ends, fmt.Errorf("%s: %w (index checksum mismatch)", name, ErrFormat)
	}
	return ends, bad
}

// readAt fills p from r at off; a short file is a format error.
func readAt(r io.ReaderAt, p []byte, off int64, name string) error {
	n, err := r.ReadAt(p, off)
	switch {
	case n == len(p):
		return nil
	case err == nil || errors.Is(err, io.EOF):
		return fmt.Errorf("%s: %w (shorter than its size)", name, ErrFormat)
	}
	return fmt.Errorf("read %s: %w", name, err)
}
