package ifile

import (
	"bytes"
	"io"
)

// Reader reads records from an intermediate file.
type Reader struct {
	s *scanner
	// payload is the current block's payload, checked, and off the offset
	// of its next record; text is a copy of payload, whose substrings Next
	// returns.
	payload []byte
	text    string
	off     int
}

// NewReader checks the header of the section read from r and returns a
// Reader for its records; name is used in error messages.
func NewReader(r io.Reader, name string) (*Reader, error) {
	return newReader(r, name, unknownSize, blockTarget)
}

// NewBytesReader is NewReader for a section held whole in data, which it
// reads in place, with no buffer of its own: a reducer keeps thousands of
// small sections in memory at once. data must not change while the
// Reader is in use.
func NewBytesReader(data []byte, name string) (*Reader, error) {
	s := &scanner{r: bytes.NewReader(nil), name: name, target: blockTarget, buf: data, end: len(data)}
	if _, err := s.header(); err != nil {
		return nil, err
	}
	return &Reader{s: s}, nil
}

// newReader returns a Reader for the section read from r, which is size
// bytes long or unknownSize, written with the given block target.
func newReader(r io.Reader, name string, size int64, target int) (*Reader, error) {
	s := newScanner(r, name, size, target)
	if _, err := s.header(); err != nil {
		return nil, err
	}
	return &Reader{s: s}, nil
}

// Release returns the Reader's buffer for reuse; the Reader must not be
// used afterwards. Calling it is optional: a Reader also returns its
// buffer when Next returns an error or io.EOF.
func (r *Reader) Release() {
	r.payload, r.text, r.off = nil, "", 0
	r.s.release()
}

// Next returns the next record, or io.EOF after the last one once the
// trailer has been checked. It returns no record of a block before it
// has checked the block's checksum. The strings are the caller's to keep;
// they are substrings of one copy of their block, made when the block is
// read (one allocation per block, not per record), so a string kept keeps
// its block's memory too. In a sorted section a key's records are
// consecutive, so the values of one key hold at most a few blocks beyond
// their own bytes.
func (r *Reader) Next() (key, value string, err error) {
	for r.off == len(r.payload) {
		_, payload, err := r.s.block()
		if err != nil {
			return "", "", err
		}
		if payload == nil {
			r.payload, r.text, r.off = nil, "", 0
			if _, err := r.s.trailer(); err != nil {
				return "", "", err
			}
			return "", "", io.EOF
		}
		r.payload, r.text, r.off = payload, string(payload), 0
	}
	head, keyLen, valueLen, ok := parseRecord(r.payload[r.off:])
	if !ok {
		// Unreachable: the scanner has checked the records.
		return "", "", r.s.fail("bad record in block %d", r.s.blocks-1)
	}
	start := r.off + head
	r.off = start + keyLen + valueLen
	return r.text[start : start+keyLen], r.text[start+keyLen : r.off], nil
}
