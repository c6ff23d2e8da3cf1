// Package ifile reads and writes intermediate files: the sorted key/value
// records a map task leaves for each reduce partition.
//
// # Sections
//
// One partition's records form a section, format version 2 (version 1,
// one checksum per section, is no longer read):
//
//	section = header block* trailer
//	header  = "MRKV" 0x02
//	block   = uvarint(n) payload crc      n = len(payload) > 0
//	payload = record+
//	record  = uvarint(len(key)) uvarint(len(value)) key value
//	crc     = big-endian CRC-32C (Castagnoli) of payload
//	trailer = 0x00 uvarint(count) sum
//	sum     = big-endian CRC-32C of the concatenated crc fields of all
//	          blocks, in order, followed by the bytes of uvarint(count)
//
// count is the number of records in the section. Every uvarint is in its
// shortest form. The Writer fills a block with whole records until the
// next record would take the payload past blockTarget bytes (64 KiB), so
// a block holds one record larger than that alone, and the encoding of a
// sequence of records is unique: a reader rejects a section whose blocks
// are split differently, and changing blockTarget needs a new version.
//
// A reader checks a block's crc before it hands out any of the block's
// records, so damage is reported before damaged records reach a consumer.
// The trailer's sum covers the record count and, through the block
// checksums, every block and its order, so a dropped, repeated or
// swapped block is caught too. A truncated, corrupted or foreign section,
// or one followed by extra bytes, is an error wrapping ErrFormat; lengths
// are checked against maxFieldLen, maxBlockLen and, when known, the bytes
// left in the section before anything is allocated for them.
//
// # Map output files
//
// A map output file holds one section per reduce partition, R of them,
// end to end from offset 0, followed by an index:
//
//	index = offset*(R+1) R crc "MRIX"
//
// offset j < R is the big-endian uint64 offset of section j and offset R
// that of the index; R is a big-endian uint32, at most 1<<24, and crc the
// big-endian CRC-32C of the offsets and R. SectionRange and OpenSection
// check the whole index before they use it.
//
// Verify, NewVerifyingReader and CopyVerified check a section's bytes
// without decoding its records, so that a section can be shipped and
// stored as bytes and still be known intact.
package ifile

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/bits"
)

const (
	magic   = "MRKV"
	version = 2
	// headerLen is the length of a section's header: magic and version.
	headerLen = len(magic) + 1
	// crcSize is the width of a checksum.
	crcSize = 4
	// endOfBlocks is the length byte that ends a section's blocks.
	endOfBlocks = 0
	// maxFieldLen bounds a key or value, so that a corrupted length cannot
	// make a reader allocate without limit.
	maxFieldLen = 1 << 30
	// maxOneByteUvarint is the largest value whose uvarint is one byte.
	maxOneByteUvarint = 0x7f
	// maxFieldLenSize is the size of uvarint(maxFieldLen).
	maxFieldLenSize = binary.MaxVarintLen32
	// maxRecordLen bounds an encoded record.
	maxRecordLen = 2*maxFieldLenSize + 2*maxFieldLen
	// blockTarget is the payload size the Writer fills a block up to. It
	// is part of the format (see the package comment). BenchmarkRead and
	// BenchmarkWrite run equally fast from 4 KiB to 256 KiB; at 64 KiB a
	// reader's buffer, which holds a block, stays the size of the 64 KiB
	// buffer of version 1, large enough for few read calls.
	blockTarget = 64 << 10
	// maxBlockLen bounds a block's payload: one record of maxRecordLen.
	maxBlockLen = max(blockTarget, maxRecordLen)
	// blockLenRoom is the size of uvarint(maxBlockLen), the room the
	// Writer keeps in front of a block for its length.
	blockLenRoom = binary.MaxVarintLen32
	// minTrailerLen and maxTrailerLen bound the size of a trailer.
	minTrailerLen = 1 + 1 + crcSize
	maxTrailerLen = 1 + binary.MaxVarintLen64 + crcSize
	// minSectionLen is the size of an empty section.
	minSectionLen = headerLen + minTrailerLen
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// ErrFormat is returned (wrapped) for a file that is not a complete,
// intact intermediate file.
var ErrFormat = errors.New("not a valid intermediate file")

// uvarint decodes a uvarint from b like binary.Uvarint, but reports a
// non-shortest encoding like an overflow, with n < 0.
func uvarint(b []byte) (v uint64, n int) {
	v, n = binary.Uvarint(b)
	if n > 1 && b[n-1] == 0 {
		return 0, -n
	}
	return v, n
}

// uvarintLen returns the size of uvarint(v).
func uvarintLen(v int) int {
	return (bits.Len64(uint64(v)|1) + 6) / 7
}

// parseRecord parses the record at the start of p, returning the size of
// its two lengths and the lengths; ok is false if p does not start with a
// whole, well-formed record.
func parseRecord(p []byte) (head, keyLen, valueLen int, ok bool) {
	// Fast path: both lengths under 128, the common case.
	if len(p) >= 2 && p[0] <= maxOneByteUvarint && p[1] <= maxOneByteUvarint {
		keyLen, valueLen = int(p[0]), int(p[1])
		if len(p)-2 < keyLen+valueLen {
			return 0, 0, 0, false
		}
		return 2, keyLen, valueLen, true
	}
	k, n := uvarint(p)
	if n <= 0 || k > maxFieldLen {
		return 0, 0, 0, false
	}
	v, m := uvarint(p[n:])
	if m <= 0 || v > maxFieldLen {
		return 0, 0, 0, false
	}
	head = n + m
	if uint64(len(p)-head) < k+v {
		return 0, 0, 0, false
	}
	return head, int(k), int(v), true
}

// placedAsWriter reports whether a record of size bytes, record i (from
// 0) of a block of blockLen payload bytes that follows a block of prevLen
// payload bytes (0 for the first block), is where a Writer with the given
// target would have put it: a record starts a new block only if it would
// not fit in the previous one, and a block past the target holds a single
// record.
func placedAsWriter(target, prevLen, blockLen, i, size int) bool {
	if i == 0 {
		return prevLen == 0 || prevLen+size > target
	}
	return blockLen <= target
}
