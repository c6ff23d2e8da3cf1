// Package sortrec is the record format of the sort benchmark's ASCII data,
// the records `gensort -a` writes and `valsort` reads: 100 bytes each,
//
//	offset  bytes  contents
//	     0     10  the key: printable ASCII, ' ' (0x20) to '~' (0x7E)
//	    10      2  two spaces
//	    12     32  the record number, 128 bits as 32 uppercase hex digits
//	    44      2  two spaces
//	    46     52  filler: 13 uppercase hex digits, each written 4 times
//	    98      2  "\r\n"
//
// Records sort by key, bytewise; nothing else in a record orders it. A
// file of records is a whole number of records, end to end, with no
// header: every record is also a text line.
//
// Check accepts a record if it is 100 bytes, its first 98 bytes are
// printable ASCII with a space at offset 10, and it ends in "\r\n": what
// a reader needs to cut records and a sort needs to move them as "key
// value" lines. It does not parse the record number or the filler, so
// data from other generators of the same layout passes.
package sortrec

import (
	"errors"
	"fmt"
)

const (
	// Size is the length of a record in bytes.
	Size = 100
	// KeySize is the length of the key at the start of a record.
	KeySize = 10
	// Separator is the offset of the space that follows the key.
	Separator = KeySize
	// NumberOffset is where the record number's hex digits start.
	NumberOffset = 12
	// NumberDigits is the number of hex digits of the record number.
	NumberDigits = 32
	// FillerOffset is where the filler starts.
	FillerOffset = 46
	// FillerDigits is the number of distinct hex digits in the filler;
	// each is written FillerRepeat times.
	FillerDigits = 13
	// FillerRepeat is how many times each filler digit is written.
	FillerRepeat = 4
	// EndOffset is where the record's "\r\n" starts.
	EndOffset = Size - len(End)
	// End ends every record.
	End = "\r\n"
)

const (
	// minPrintable and maxPrintable bound the bytes a record's text holds.
	minPrintable = ' '
	maxPrintable = '~'
	// del is the byte just past maxPrintable, the first with no glyph.
	del = 0x7F
	// wordSize is the number of bytes checkPrintable tests at once.
	wordSize = 8
	// ones has a 1 in every byte; highBits the top bit of every byte.
	ones     = 0x0101010101010101
	highBits = 0x8080808080808080
)

// ErrFormat is wrapped by every error about a malformed record.
var ErrFormat = errors.New("not a sort benchmark ASCII record")

// Check returns nil if rec is a well-formed record (see the package doc),
// else an error wrapping ErrFormat that says what is wrong.
func Check[T ~string | ~[]byte](rec T) error {
	if len(rec) != Size {
		return fmt.Errorf("%d bytes, not %d: %w", len(rec), Size, ErrFormat)
	}
	if rec[EndOffset] != End[0] || rec[EndOffset+1] != End[1] {
		return fmt.Errorf("ends in %q, not %q: %w", string(rec[EndOffset:]), End, ErrFormat)
	}
	if rec[Separator] != ' ' {
		return fmt.Errorf("byte %d is %q, not a space: %w", Separator, rec[Separator], ErrFormat)
	}
	if !printable(rec[:EndOffset]) {
		for i := range EndOffset {
			if b := rec[i]; b < minPrintable || b > maxPrintable {
				return fmt.Errorf("byte %d is %#02x, not printable ASCII: %w", i, b, ErrFormat)
			}
		}
	}
	return nil
}

// printable reports whether every byte of s is printable ASCII. It tests a
// word of 8 bytes at a time: a byte below minPrintable borrows into its top
// bit when minPrintable is subtracted, and one above maxPrintable (or with
// its top bit set) has its top bit set once del-maxPrintable is added.
func printable[T ~string | ~[]byte](s T) bool {
	var bad uint64 // the top bit of a byte is set in some word's test
	i := 0
	for ; i+wordSize <= len(s); i += wordSize {
		b := s[i : i+wordSize]
		w := uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
		below := (w - ones*minPrintable) &^ w
		above := (w + ones*(del-maxPrintable)) | w
		bad |= below | above
	}
	for ; i < len(s); i++ {
		if s[i] < minPrintable || s[i] > maxPrintable {
			return false
		}
	}
	return bad&highBits == 0
}

// Key returns the key of rec, which must be at least KeySize bytes.
func Key[T ~string | ~[]byte](rec T) T { return rec[:KeySize] }
