// Package ifile reads and writes intermediate files: the sorted key/value
// records a map task leaves for each reduce partition.
//
// A file is the 5-byte header "MRKV" plus a version byte, then the records,
// each uvarint(len(key)+1) uvarint(len(value)) key value, then a single 0
// byte ending the records, uvarint(record count) and the big-endian CRC-32C
// of every byte between the header and the 0 byte. A reader therefore tells
// a complete file from a truncated, corrupted or foreign one.
package ifile

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sync"
)

const (
	magic   = "MRKV"
	version = 1
	// maxFieldLen bounds a key or value, so that a corrupted length cannot
	// make a reader allocate without limit.
	maxFieldLen = 1 << 30
	// readBufferSize is the read buffer of a Reader.
	readBufferSize = 64 << 10
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// readers recycles read buffers: a reduce task opens one reader per map
// task, thousands for a job of tiny inputs.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, readBufferSize) }}

// ErrFormat is returned (wrapped) for a file that is not a complete,
// intact intermediate file.
var ErrFormat = errors.New("not a valid intermediate file")

// Writer writes records to an intermediate file.
type Writer struct {
	w       io.Writer
	crc     uint32
	count   uint64
	scratch []byte
	err     error
}

// NewWriter writes the header to w and returns a Writer for the records.
// The caller buffers w if it wants buffering.
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{w: w}
	_, wr.err = io.WriteString(w, magic+string(rune(version)))
	return wr
}

// Write appends one record.
func (w *Writer) Write(key, value string) error {
	if w.err != nil {
		return w.err
	}
	b := w.scratch[:0]
	b = binary.AppendUvarint(b, uint64(len(key))+1)
	b = binary.AppendUvarint(b, uint64(len(value)))
	b = append(b, key...)
	b = append(b, value...)
	w.scratch = b
	w.crc = crc32.Update(w.crc, crcTable, b)
	w.count++
	_, w.err = w.w.Write(b)
	return w.err
}

// Close writes the trailer. It does not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	b := append(w.scratch[:0], 0)
	b = binary.AppendUvarint(b, w.count)
	b = binary.BigEndian.AppendUint32(b, w.crc)
	_, w.err = w.w.Write(b)
	if w.err == nil {
		w.err = errors.New("ifile: write after close")
		return nil
	}
	return w.err
}

// Reader reads records from an intermediate file.
type Reader struct {
	r     *bufio.Reader
	name  string
	crc   uint32
	count uint64
	buf   []byte
	done  bool
}

// NewReader checks the header of the file read from r; name is used in
// error messages.
func NewReader(r io.Reader, name string) (*Reader, error) {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	rd := &Reader{r: br, name: name}
	var header [len(magic) + 1]byte
	var err error
	if _, err = io.ReadFull(rd.r, header[:]); err != nil {
		err = rd.formatError("header", err)
	} else if string(header[:len(magic)]) != magic {
		err = fmt.Errorf("%s: %w (bad magic %q)", name, ErrFormat, header[:len(magic)])
	} else if header[len(magic)] != version {
		err = fmt.Errorf("%s: %w (version %d, want %d)", name, ErrFormat, header[len(magic)], version)
	}
	if err != nil {
		rd.Release()
		return nil, err
	}
	return rd, nil
}

// Release returns the Reader's buffer for reuse; the Reader must not be
// used afterwards. Calling it is optional.
func (r *Reader) Release() {
	if r.r == nil {
		return
	}
	r.r.Reset(nil)
	readers.Put(r.r)
	r.r = nil
}

// Next returns the next record, or io.EOF after the last one once the
// trailer has been checked.
func (r *Reader) Next() (key, value string, err error) {
	if r.done {
		return "", "", io.EOF
	}
	keyLen, err := binary.ReadUvarint(r.r)
	if err != nil {
		return "", "", r.formatError("record", err)
	}
	if keyLen == 0 {
		return "", "", r.trailer()
	}
	r.addToChecksum(keyLen)
	valueLen, err := r.uvarint()
	if err != nil {
		return "", "", r.formatError("record", err)
	}
	keyLen--
	if keyLen > maxFieldLen || valueLen > maxFieldLen {
		return "", "", fmt.Errorf("%s: %w (record of %d+%d bytes)", r.name, ErrFormat, keyLen, valueLen)
	}
	n := int(keyLen + valueLen)
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	b := r.buf[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		return "", "", r.formatError("record", err)
	}
	r.crc = crc32.Update(r.crc, crcTable, b)
	r.count++
	return string(b[:keyLen]), string(b[keyLen:]), nil
}

// uvarint reads a uvarint and adds its bytes to the checksum.
func (r *Reader) uvarint() (uint64, error) {
	v, err := binary.ReadUvarint(r.r)
	if err == nil {
		r.addToChecksum(v)
	}
	return v, err
}

// addToChecksum adds the uvarint encoding of v to the checksum.
func (r *Reader) addToChecksum(v uint64) {
	var b [binary.MaxVarintLen64]byte
	r.crc = crc32.Update(r.crc, crcTable, binary.AppendUvarint(b[:0], v))
}

func (r *Reader) trailer() error {
	count, err := binary.ReadUvarint(r.r)
	if err != nil {
		return r.formatError("trailer", err)
	}
	var sum [4]byte
	if _, err := io.ReadFull(r.r, sum[:]); err != nil {
		return r.formatError("trailer", err)
	}
	if count != r.count || binary.BigEndian.Uint32(sum[:]) != r.crc {
		return fmt.Errorf("%s: %w (checksum or record count mismatch)", r.name, ErrFormat)
	}
	if _, err := r.r.ReadByte(); err != io.EOF {
		return fmt.Errorf("%s: %w (data after trailer)", r.name, ErrFormat)
	}
	r.done = true
	return io.EOF
}

func (r *Reader) formatError(where string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: %w (truncated in %s)", r.name, ErrFormat, where)
	}
	if errors.Is(err, ErrFormat) {
		return err
	}
	return fmt.Errorf("read %s: %w", r.name, err)
}
