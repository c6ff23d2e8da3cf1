// Package valsort checks the sort benchmark's ASCII records (package
// sortrec) as the benchmark's valsort and Hadoop's TeraValidate do: it
// reads a sequence of files in order, as one stream of records (the
// concatenation of a job's mr-out-0 ... mr-out-(R-1)), and summarizes it.
//
// Every record must be well formed (sortrec.Check), and every file a whole
// number of records: anything else is an error naming the file, the
// record's index and its byte offset, and reading stops there. Order is
// counted, not an error: a Summary says how many records have a key below
// the previous record's, across file boundaries too, and describes the
// first (Summary.Sorted).
//
// The checksum is valsort's: the sum, modulo 2^128, of the CRC-32 of every
// record (IEEE polynomial, zlib's crc32(0, rec, 100), Go's
// crc32.ChecksumIEEE), printed as valsort prints it, in lowercase hex
// without leading zeros. A sum does not depend on the records' order, so
// the summary of a sort's inputs, read in any order, and that of its output
// must show the same record count and checksum (Summary.Match): a dropped,
// repeated or changed record changes them. The duplicate count is
// valsort's too: records whose key equals the previous record's, which in
// sorted data is every record after the first of its key.
//
// Memory is one read buffer of bufRecords records, whatever the size.
package valsort

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
	"os"

	"6.5840/mr/bench/sortrec"
)

// bufRecords is the number of records read at once.
const bufRecords = 10 << 10

// ErrMismatch is wrapped by Match's errors.
var ErrMismatch = errors.New("records differ")

// Checksum is a 128-bit sum of CRC-32s.
type Checksum struct{ Hi, Lo uint64 }

// add adds crc to the sum.
func (c *Checksum) add(crc uint32) {
	var carry uint64
	c.Lo, carry = bits.Add64(c.Lo, uint64(crc), 0)
	c.Hi += carry
}

// String returns the sum in hex, as valsort prints it.
func (c Checksum) String() string {
	if c.Hi == 0 {
		return fmt.Sprintf("%x", c.Lo)
	}
	return fmt.Sprintf("%x%016x", c.Hi, c.Lo)
}

// Summary describes a sequence of records.
type Summary struct {
	// Records is the number of records.
	Records uint64
	// Checksum is the sum of the records' CRC-32s.
	Checksum Checksum
	// Duplicates counts records whose key equals the previous record's.
	Duplicates uint64
	// Unordered counts records whose key is below the previous record's.
	Unordered uint64
	// FirstUnordered describes the first of those, nil if there is none.
	FirstUnordered *Disorder
}

// Sorted returns nil if no record's key is below the previous record's,
// else an error that says how many are and unwraps to the first's
// *Disorder.
func (s Summary) Sorted() error {
	if s.Unordered == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d records out of order; the first: %w", s.Unordered, s.Records, s.FirstUnordered)
}

// Match returns nil if s, a sort's output, has the record count and
// checksum of input, the summary of its inputs; else an error wrapping
// ErrMismatch that gives both.
func (s Summary) Match(input Summary) error {
	switch {
	case s.Records != input.Records:
		return fmt.Errorf("output has %d records, input %d: %w", s.Records, input.Records, ErrMismatch)
	case s.Checksum != input.Checksum:
		return fmt.Errorf("output checksum %v, input %v (%d records each): %w", s.Checksum, input.Checksum, s.Records, ErrMismatch)
	}
	return nil
}

// Disorder describes a record whose key is below the previous record's.
type Disorder struct {
	// File names the record's file and PrevFile the previous record's:
	// they differ when the two are either side of a file boundary.
	File, PrevFile string
	// Index is the record's index in File, from 0; Offset is its byte
	// offset there.
	Index, Offset int64
	// Record is the record's index in the whole sequence, from 0: the
	// number valsort calls "the first unordered record".
	Record uint64
	// Key and PrevKey are the record's key and the previous record's.
	Key, PrevKey string
}

// Error describes the disorder.
func (d *Disorder) Error() string {
	prev := "the previous record's"
	if d.PrevFile != d.File {
		prev = "that of the last record of " + d.PrevFile
	}
	return fmt.Sprintf("%s: record %d (byte %d) has key %q, below %s, %q",
		d.File, d.Index, d.Offset, d.Key, prev, d.PrevKey)
}

// Checker summarizes records read file after file as one sequence.
type Checker struct {
	sum      Summary
	prevKey  [sortrec.KeySize]byte
	prevFile string
	buf      []byte
	// bufRecords is the read buffer's size in records; tests shrink it.
	bufRecords int
}

// NewChecker returns a Checker that has read nothing.
func NewChecker() *Checker { return &Checker{bufRecords: bufRecords} }

// Summary returns the summary of the records read so far.
func (c *Checker) Summary() Summary { return c.sum }

// Read reads the records of one file, named name in messages, from r,
// after those read before. A malformed record, a partial record at the
// end, or a read error stops it with an error naming the file (and the
// record's index and byte offset, with sortrec.ErrFormat wrapped); the
// summary then covers the records before it.
func (c *Checker) Read(name string, r io.Reader) error {
	if c.buf == nil {
		c.buf = make([]byte, c.bufRecords*sortrec.Size)
	}
	var index int64
	for {
		n, err := io.ReadFull(r, c.buf)
		whole := n - n%sortrec.Size
		if ferr := c.records(name, index, c.buf[:whole]); ferr != nil {
			return ferr
		}
		index += int64(whole / sortrec.Size)
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF) && n == whole:
			return nil
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("%s: record %d (byte %d): a partial record of %d bytes at the end: %w",
				name, index, index*sortrec.Size, n-whole, sortrec.ErrFormat)
		default:
			return fmt.Errorf("read %s: %w", name, err)
		}
	}
}

// records adds data, whole records of the file name starting with its
// record index, to the summary.
func (c *Checker) records(name string, index int64, data []byte) error {
	for off := 0; off < len(data); off += sortrec.Size {
		rec := data[off : off+sortrec.Size]
		if err := sortrec.Check(rec); err != nil {
			i := index + int64(off/sortrec.Size)
			return fmt.Errorf("%s: record %d (byte %d): %w", name, i, i*sortrec.Size, err)
		}
		c.sum.Checksum.add(crc32.ChecksumIEEE(rec))
		key := rec[:sortrec.KeySize]
		if c.sum.Records > 0 {
			switch cmp := bytes.Compare(key, c.prevKey[:]); {
			case cmp == 0:
				c.sum.Duplicates++
			case cmp < 0:
				c.disorder(name, index+int64(off/sortrec.Size), key)
			}
		}
		copy(c.prevKey[:], key)
		c.sum.Records++
	}
	if len(data) > 0 {
		c.prevFile = name
	}
	return nil
}

// disorder counts record index of file name, of key below the previous
// record's, and describes it if it is the first.
func (c *Checker) disorder(name string, index int64, key []byte) {
	c.sum.Unordered++
	if c.sum.FirstUnordered != nil {
		return
	}
	prevFile := c.prevFile
	if index > 0 {
		prevFile = name
	}
	c.sum.FirstUnordered = &Disorder{File: name, PrevFile: prevFile, Index: index, Offset: index * sortrec.Size,
		Record: c.sum.Records, Key: string(key), PrevKey: string(c.prevKey[:])}
}

// Files reads the files at paths, in order, as one sequence of records,
// and returns its summary; errors are Read's, or the failure to open a
// file.
func Files(paths ...string) (Summary, error) {
	c := NewChecker()
	for _, p := range paths {
		if err := c.readFile(p); err != nil {
			return c.Summary(), err
		}
	}
	return c.Summary(), nil
}

// readFile reads the file at path.
func (c *Checker) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return c.Read(path, f)
}

// Validate checks a sort's outputs, read in the order given as one
// sequence, against its inputs: every record well formed, in order
// across file boundaries too, and the same records as the inputs (count
// and checksum). It returns the outputs' summary, and the first problem
// found, which names the first record out of order.
func Validate(inputs, outputs []string) (Summary, error) {
	in, err := Files(inputs...)
	if err != nil {
		return Summary{}, fmt.Errorf("inputs: %w", err)
	}
	out, err := Files(outputs...)
	if err != nil {
		return Summary{}, fmt.Errorf("outputs: %w", err)
	}
	if err := out.Sorted(); err != nil {
		return out, err
	}
	return out, out.Match(in)
}
