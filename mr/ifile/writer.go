package ifile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
)

// writeBufferSize is the size of a Writer's block buffer: room for the
// block length, a full payload and its checksum.
const writeBufferSize = blockLenRoom + blockTarget + crcSize

// writeBuffers recycles block buffers: a map task writes one section per
// reduce partition.
var writeBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, writeBufferSize)
	return &b
}}

var errClosed = errors.New("ifile: write after close")

// Writer writes records to an intermediate file, one block at a time.
type Writer struct {
	w io.Writer
	// target is the payload size blocks are filled up to: blockTarget,
	// except in tests.
	target int
	bufp   *[]byte
	// buf holds blockLenRoom bytes kept for the block length, then the
	// payload of the block being filled.
	buf   []byte
	count uint64
	// sum is the CRC-32C of the checksums of the blocks written so far.
	sum uint32
	err error
}

// NewWriter writes the header to w and returns a Writer for the records.
// The Writer buffers one block, so w need not be buffered.
func NewWriter(w io.Writer) *Writer {
	return newWriter(w, blockTarget)
}

// newWriter returns a Writer filling blocks up to target bytes, at most
// blockTarget.
func newWriter(w io.Writer, target int) *Writer {
	wr := &Writer{w: w, target: target}
	_, wr.err = io.WriteString(w, magic+string(rune(version)))
	return wr
}

// Write appends one record. A key or value longer than 1 GiB is an error.
// An error is final: later calls, and Close, return it.
func (w *Writer) Write(key, value string) error {
	if w.err != nil {
		return w.err
	}
	if len(key) > maxFieldLen || len(value) > maxFieldLen {
		w.err = fmt.Errorf("ifile: record of %d+%d bytes, over the %d-byte limit for a key or value",
			len(key), len(value), maxFieldLen)
		return w.err
	}
	w.takeBuffer()
	size := uvarintLen(len(key)) + uvarintLen(len(value)) + len(key) + len(value)
	if n := len(w.buf) - blockLenRoom; n > 0 && n+size > w.target {
		if w.err = w.flush(); w.err != nil {
			return w.err
		}
	}
	w.count++
	if size > w.target {
		w.err = w.writeAlone(key, value, size)
		return w.err
	}
	b := binary.AppendUvarint(w.buf, uint64(len(key)))
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = append(b, key...)
	w.buf = append(b, value...)
	return nil
}

// takeBuffer gives the Writer a block buffer, if it has none.
func (w *Writer) takeBuffer() {
	if w.bufp == nil {
		w.bufp = writeBuffers.Get().(*[]byte)
		w.buf = (*w.bufp)[:blockLenRoom]
	}
}

// flush writes the buffered block, which must not be empty.
func (w *Writer) flush() error {
	n := len(w.buf) - blockLenRoom
	var room [blockLenRoom]byte
	length := binary.AppendUvarint(room[:0], uint64(n))
	start := blockLenRoom - len(length)
	copy(w.buf[start:], length)
	w.buf = binary.BigEndian.AppendUint32(w.buf, crc32.Checksum(w.buf[blockLenRoom:], crcTable))
	w.sum = crc32.Update(w.sum, crcTable, w.buf[len(w.buf)-crcSize:])
	_, err := w.w.Write(w.buf[start:])
	w.buf = w.buf[:blockLenRoom]
	return err
}

// writeAlone writes a record of size bytes, more than the target, as a
// block of its own, streaming it through the empty block buffer.
func (w *Writer) writeAlone(key, value string, size int) error {
	b := binary.AppendUvarint(w.buf[:0], uint64(size))
	start := len(b)
	b = binary.AppendUvarint(b, uint64(len(key)))
	b = binary.AppendUvarint(b, uint64(len(value)))
	crc := crc32.Checksum(b[start:], crcTable)
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	crc, err := w.stream(crc, key)
	if err == nil {
		crc, err = w.stream(crc, value)
	}
	if err != nil {
		return err
	}
	b = binary.BigEndian.AppendUint32(w.buf[:0], crc)
	w.sum = crc32.Update(w.sum, crcTable, b)
	_, err = w.w.Write(b)
	w.buf = w.buf[:blockLenRoom]
	return err
}

// stream writes s through the block buffer, returning crc updated with s.
func (w *Writer) stream(crc uint32, s string) (uint32, error) {
	scratch := w.buf[:cap(w.buf)]
	for len(s) > 0 {
		n := copy(scratch, s)
		crc = crc32.Update(crc, crcTable, scratch[:n])
		if _, err := w.w.Write(scratch[:n]); err != nil {
			return crc, err
		}
		s = s[n:]
	}
	return crc, nil
}

// Close writes the last block and the trailer. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	w.takeBuffer()
	if len(w.buf) > blockLenRoom {
		if w.err = w.flush(); w.err != nil {
			return w.err
		}
	}
	b := append(w.buf[:0], endOfBlocks)
	b = binary.AppendUvarint(b, w.count)
	b = binary.BigEndian.AppendUint32(b, crc32.Update(w.sum, crcTable, b[1:]))
	_, w.err = w.w.Write(b)
	*w.bufp = w.buf[:0]
	writeBuffers.Put(w.bufp)
	w.bufp, w.buf = nil, nil
	if w.err == nil {
		w.err = errClosed
		return nil
	}
	return w.err
}
