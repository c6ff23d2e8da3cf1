package ifile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sync"
)

const (
	// readBufferSize is the size of a scanner's buffer, which holds a
	// whole block; it grows, as bytes arrive, only for a larger block.
	readBufferSize = blockLenRoom + blockTarget + crcSize
	// unknownSize stands for the size of a section read from a stream.
	unknownSize = -1
	// maxEmptyReads is how many reads in a row may return nothing before
	// a scanner gives up with io.ErrNoProgress, as bufio does.
	maxEmptyReads = 100
)

// readBuffers recycles read buffers: a reduce task opens one reader per map
// task, thousands for a job of tiny inputs.
var readBuffers = sync.Pool{New: func() any {
	b := make([]byte, readBufferSize)
	return &b
}}

// errBadUvarint reports an overlong or non-shortest uvarint.
var errBadUvarint = errors.New("bad uvarint")

// A scanner reads a section block by block, checking each block's
// checksum and records before handing it out, and the trailer at the end.
// Reader, Verify and the verifying reader are built on it.
type scanner struct {
	r    io.Reader
	name string
	// target is the payload size the writer filled blocks up to.
	target int
	bufp   *[]byte
	// buf[pos:end] holds the bytes read from r and not yet consumed.
	buf      []byte
	pos, end int
	// unread is the number of bytes of the section not yet read from r,
	// or unknownSize.
	unread int64
	// blocks is the number of blocks read, and so the index of the next.
	blocks int
	// prevLen is the payload length of the last block read, 0 before the
	// first.
	prevLen int
	records uint64
	// sum is the CRC-32C of the checksums of the blocks read so far.
	sum uint32
	// tail holds the trailer's bytes once it is read.
	tail [maxTrailerLen]byte
	// err is final: io.EOF after the trailer, or the first error.
	err error
}

// newScanner returns a scanner for the section read from r, which is size
// bytes long, or unknownSize; name is used in error messages.
func newScanner(r io.Reader, name string, size int64, target int) *scanner {
	bufp := readBuffers.Get().(*[]byte)
	return &scanner{r: r, name: name, target: target, bufp: bufp, buf: *bufp, unread: size}
}

// release returns the scanner's buffer for reuse; bytes it returned
// must no longer be used.
func (s *scanner) release() {
	if s.bufp == nil {
		return
	}
	if cap(s.buf) == readBufferSize {
		*s.bufp = s.buf[:readBufferSize]
		readBuffers.Put(s.bufp)
	}
	s.bufp, s.buf = nil, nil
	s.pos, s.end = 0, 0
	if s.err == nil {
		s.err = errors.New("ifile: read after Release")
	}
}

// stop makes err final and releases the buffer.
func (s *scanner) stop(err error) error {
	s.err = err
	s.release()
	return err
}

// fail stops with a format error; why is said in parentheses.
func (s *scanner) fail(format string, args ...any) error {
	return s.stop(fmt.Errorf("%s: %w (%s)", s.name, ErrFormat, fmt.Sprintf(format, args...)))
}

// readFail stops with the error err met while reading the given part of
// the section: a format error for a truncation or a bad uvarint.
func (s *scanner) readFail(err error, where string) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return s.fail("truncated in %s", where)
	case errors.Is(err, errBadUvarint):
		return s.fail("bad length in %s", where)
	}
	return s.stop(fmt.Errorf("read %s: %w", s.name, err))
}

// fill reads until buf[pos:] holds at least n bytes, returning
// io.ErrUnexpectedEOF if the section ends first. The buffer grows only
// once it is full of bytes read, so a damaged length costs memory in
// proportion to the bytes actually there.
func (s *scanner) fill(n int) error {
	if s.unread != unknownSize && int64(n-(s.end-s.pos)) > s.unread {
		return io.ErrUnexpectedEOF
	}
	for empty := 0; s.end-s.pos < n; {
		if len(s.buf)-s.pos < n && s.pos > 0 {
			s.end = copy(s.buf, s.buf[s.pos:s.end])
			s.pos = 0
		}
		if s.end == len(s.buf) {
			grown := make([]byte, min(max(2*len(s.buf), readBufferSize), n))
			copy(grown, s.buf[:s.end])
			s.buf = grown
		}
		m, err := s.r.Read(s.buf[s.end:])
		s.end += m
		if s.unread != unknownSize {
			s.unread -= int64(m)
		}
		switch {
		case s.end-s.pos >= n:
			return nil
		case err == io.EOF:
			return io.ErrUnexpectedEOF
		case err != nil:
			return err
		case m > 0:
			empty = 0
		default:
			if empty++; empty == maxEmptyReads {
				return io.ErrNoProgress
			}
		}
	}
	return nil
}

// peekUvarint decodes the uvarint at buf[pos+skip:], reading as needed,
// without consuming it; it returns its value and size.
func (s *scanner) peekUvarint(skip int) (v uint64, n int, err error) {
	for {
		v, n = uvarint(s.buf[s.pos+skip : s.end])
		switch {
		case n > 0:
			return v, n, nil
		case n < 0:
			return 0, 0, errBadUvarint
		}
		if err := s.fill(s.end - s.pos + 1); err != nil {
			return 0, 0, err
		}
	}
}

// header reads and checks the section header, returning its bytes.
func (s *scanner) header() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := s.fill(headerLen); err != nil {
		return nil, s.readFail(err, "header")
	}
	h := s.buf[s.pos : s.pos+headerLen]
	if string(h[:len(magic)]) != magic {
		return nil, s.fail("bad magic %q", h[:len(magic)])
	}
	if h[len(magic)] != version {
		return nil, s.fail("version %d, want %d", h[len(magic)], version)
	}
	s.pos += headerLen
	return h, nil
}

// block reads the next block, checks its checksum and records, and
// returns its bytes and its payload, valid until the next call. At the
// end of the blocks it returns a nil payload, and the trailer is next.
func (s *scanner) block() (raw, payload []byte, err error) {
	if s.err != nil {
		return nil, nil, s.err
	}
	n, lenSize, err := s.peekUvarint(0)
	if err != nil {
		return nil, nil, s.readFail(err, fmt.Sprintf("block %d", s.blocks))
	}
	if n == endOfBlocks {
		return nil, nil, nil
	}
	// The second bound matters only where an int has 32 bits.
	if n > maxBlockLen || n > math.MaxInt-blockLenRoom-crcSize {
		return nil, nil, s.fail("block %d of %d bytes, over the %d-byte limit", s.blocks, n, uint64(maxBlockLen))
	}
	if s.unread != unknownSize {
		if left := uint64(s.end-s.pos-lenSize) + uint64(s.unread); n+crcSize+minTrailerLen > left {
			return nil, nil, s.fail("block %d of %d bytes, with %d bytes left in the section", s.blocks, n, left)
		}
	}
	size := lenSize + int(n) + crcSize
	if err := s.fill(size); err != nil {
		return nil, nil, s.readFail(err, fmt.Sprintf("block %d", s.blocks))
	}
	raw = s.buf[s.pos : s.pos+size]
	payload = raw[lenSize : size-crcSize]
	crc := raw[size-crcSize:]
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(crc) {
		return nil, nil, s.fail("checksum mismatch in block %d", s.blocks)
	}
	if err := s.checkRecords(payload); err != nil {
		return nil, nil, err
	}
	s.sum = crc32.Update(s.sum, crcTable, crc)
	s.pos += size
	s.prevLen = len(payload)
	s.blocks++
	return raw, payload, nil
}

// checkRecords checks that payload is a sequence of whole records placed
// as the Writer places them, and counts them.
func (s *scanner) checkRecords(payload []byte) error {
	for i, off := 0, 0; off < len(payload); i++ {
		head, keyLen, valueLen, ok := parseRecord(payload[off:])
		if !ok {
			return s.fail("bad record %d in block %d", i, s.blocks)
		}
		size := head + keyLen + valueLen
		if !placedAsWriter(s.target, s.prevLen, len(payload), i, size) {
			return s.fail("record %d in block %d not where the writer puts it", i, s.blocks)
		}
		off += size
		s.records++
	}
	return nil
}

// trailer reads and checks the trailer, after block has returned a nil
// payload, and checks that nothing follows it. It returns the trailer's
// bytes; afterwards the scanner is at io.EOF.
func (s *scanner) trailer() ([]byte, error) {
	if s.err != nil {
		return nil, s.err
	}
	if err := s.fill(1); err != nil {
		return nil, s.readFail(err, "trailer")
	}
	if s.buf[s.pos] != endOfBlocks {
		return nil, s.fail("trailer without end of blocks")
	}
	count, countSize, err := s.peekUvarint(1)
	if err != nil {
		return nil, s.readFail(err, "trailer")
	}
	size := 1 + countSize + crcSize
	if err := s.fill(size); err != nil {
		return nil, s.readFail(err, "trailer")
	}
	tail := s.tail[:copy(s.tail[:], s.buf[s.pos:s.pos+size])]
	s.pos += size
	sum := crc32.Update(s.sum, crcTable, tail[1:1+countSize])
	if binary.BigEndian.Uint32(tail[1+countSize:]) != sum {
		return nil, s.fail("trailer checksum mismatch")
	}
	if count != s.records {
		return nil, s.fail("trailer counts %d records, blocks hold %d", count, s.records)
	}
	if s.end > s.pos || s.unread != 0 {
		switch err := s.fill(1); {
		case err == nil:
			return nil, s.fail("data after trailer")
		case !errors.Is(err, io.ErrUnexpectedEOF):
			return nil, s.readFail(err, "trailer")
		}
	}
	s.stop(io.EOF)
	return tail, nil
}
