package ifile

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeSections(t testing.TB, sections [][]record) []byte {
	var buf bytes.Buffer
	sw := NewSectionWriter(&buf)
	for _, recs := range sections {
		w, err := sw.Next()
		require.NoError(t, err)
		for _, r := range recs {
			require.NoError(t, w.Write(r.key, r.value))
		}
	}
	require.NoError(t, sw.Close())
	return buf.Bytes()
}

func readSection(data []byte, i int) ([]record, error) {
	r, err := OpenSection(bytes.NewReader(data), int64(len(data)), testName, i)
	if err != nil {
		return nil, err
	}
	return drain(r)
}

// forgeIndex appends to sections an index of the given offsets and count,
// with a correct checksum.
func forgeIndex(sections []byte, offsets []uint64, count uint32) []byte {
	b := bytes.Clone(sections)
	start := len(b)
	for _, off := range offsets {
		b = binary.BigEndian.AppendUint64(b, off)
	}
	b = binary.BigEndian.AppendUint32(b, count)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
	return append(b, "MRIX"...)
}

func TestSectionsRoundTrip(t *testing.T) {
	sections := [][]record{{{"a", "1"}, {"b", "2"}}, nil, numbered(30_000), {{"c", ""}}, nil}
	data := writeSections(t, sections)
	for i, want := range sections {
		got, err := readSection(data, i)
		require.NoError(t, err)
		require.Equal(t, want, got, "section %d", i)

		offset, length, err := SectionRange(bytes.NewReader(data), int64(len(data)), testName, i)
		require.NoError(t, err)
		n, err := Verify(io.NewSectionReader(bytes.NewReader(data), offset, length), testName)
		require.NoError(t, err)
		require.Equal(t, int64(len(want)), n, "section %d: got %d records; want %d", i, n, len(want))
	}
	for _, i := range []int{len(sections), -1} {
		_, err := readSection(data, i)
		require.ErrorIs(t, err, ErrFormat, "section %d", i)
	}
}

func TestSectionsNoSections(t *testing.T) {
	data := writeSections(t, nil)
	require.Equal(t, forgeIndex(nil, []uint64{0}, 0), data)
	_, err := readSection(data, 0)
	require.ErrorIs(t, err, ErrFormat)
}

func TestSectionsDetectTruncation(t *testing.T) {
	sections := [][]record{{{"a", "1"}}, {{"b", "2"}}}
	data := writeSections(t, sections)
	for cut := range len(data) {
		for i := range sections {
			_, err := readSection(data[:cut], i)
			require.ErrorIs(t, err, ErrFormat, "truncated to %d bytes, section %d: got %v; want ErrFormat", cut, i, err)
		}
	}
}

func TestIndexBitFlips(t *testing.T) {
	sections := [][]record{{{"a", "1"}}, nil, {{"b", "2"}}}
	data := writeSections(t, sections)
	indexStart := len(data) - (len(sections)+1)*offsetSize - indexTailLen
	for pos := indexStart; pos < len(data); pos++ {
		for bit := range 8 {
			damaged := bytes.Clone(data)
			damaged[pos] ^= 1 << bit
			for i := range sections {
				_, _, err := SectionRange(bytes.NewReader(damaged), int64(len(damaged)), testName, i)
				require.ErrorIs(t, err, ErrFormat, "bit %d of byte %d flipped, section %d: got %v; want ErrFormat", bit, pos, i, err)
				require.Contains(t, err.Error(), testName)
			}
		}
	}
}

func TestIndexChecks(t *testing.T) {
	one := encode(t, []record{{"a", "1"}})
	two := append(bytes.Clone(one), one...)
	n := uint64(len(one))
	tests := []struct {
		name string
		data []byte
	}{
		{"no index", one},
		{"too short", []byte("MRIX")},
		{"first section not at 0", forgeIndex(two, []uint64{1, n, 2 * n}, 2)},
		{"sections overlap", forgeIndex(two, []uint64{0, n + 1, 2 * n}, 2)},
		{"sections apart", forgeIndex(two, []uint64{0, n - 1, 2 * n}, 2)},
		{"section too short", forgeIndex(two, []uint64{0, 1, 2 * n}, 2)},
		{"section past the index", forgeIndex(two, []uint64{0, 3 * n, 2 * n}, 2)},
		{"gap before the index", forgeIndex(append(bytes.Clone(two), 'x'), []uint64{0, n, 2 * n}, 2)},
		{"last section ends early", forgeIndex(two, []uint64{0, n, 2*n - 1}, 2)},
		{"too many sections", forgeIndex(two, []uint64{0, n, 2 * n}, maxSections+1)},
		{"index larger than the file", forgeIndex(two, []uint64{0, n, 2 * n}, 1<<20)},
		{"garbage after the index", append(writeSections(t, [][]record{{{"a", "1"}}}), 'x')},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 2 {
				_, err := readSection(tt.data, i)
				require.ErrorIs(t, err, ErrFormat, "section %d: got %v; want ErrFormat", i, err)
			}
		})
	}
	// The forger agrees with the writer.
	data := forgeIndex(two, []uint64{0, n, 2 * n}, 2)
	for i := range 2 {
		got, err := readSection(data, i)
		require.NoError(t, err)
		require.Equal(t, []record{{"a", "1"}}, got)
	}
}

// TestSectionBoundsBlocks checks that a block length is bounded by what
// is left of the section, not just by the file.
func TestSectionBoundsBlocks(t *testing.T) {
	first := encode(t, []record{{"a", "1"}})
	// A damaged length claims the rest of the file; the block checksum
	// would catch it, but the bound catches it before reading.
	first[headerLen] = 0x7f
	second := encode(t, numbered(100))
	data := forgeIndex(append(bytes.Clone(first), second...), []uint64{0, uint64(len(first)), uint64(len(first) + len(second))}, 2)
	_, err := readSection(data, 0)
	require.ErrorIs(t, err, ErrFormat)
	require.Contains(t, err.Error(), "left in the section")
	got, err := readSection(data, 1)
	require.NoError(t, err)
	require.Len(t, got, 100)
}

// errReaderAt fails every read.
type errReaderAt struct{}

func (errReaderAt) ReadAt([]byte, int64) (int, error) { return 0, errNetwork }

func TestSectionRangeReadErrors(t *testing.T) {
	_, _, err := SectionRange(errReaderAt{}, 100, testName, 0)
	require.ErrorIs(t, err, errNetwork)
	require.NotErrorIs(t, err, ErrFormat)
	// A file shorter than its stated size.
	data := writeSections(t, [][]record{{{"a", "1"}}})
	_, _, err = SectionRange(bytes.NewReader(data[:len(data)-1]), int64(len(data)), testName, 0)
	require.ErrorIs(t, err, ErrFormat)
}

func FuzzOpenSection(f *testing.F) {
	f.Add(writeSections(f, [][]record{{{"a", "1"}}, {{"b", "2"}}}), 1)
	f.Add(writeSections(f, [][]record{nil, numbered(5)}), 0)
	f.Fuzz(func(t *testing.T, data []byte, i int) {
		// Whatever the bytes, reading must end in records or ErrFormat,
		// and agree with Verify on the section's bytes.
		records, err := readSection(data, i)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
		}
		offset, length, rangeErr := SectionRange(bytes.NewReader(data), int64(len(data)), testName, i)
		if rangeErr != nil {
			require.ErrorIs(t, rangeErr, ErrFormat)
			require.Error(t, err, "SectionRange failed with %v; OpenSection did not", rangeErr)
			return
		}
		require.True(t, offset >= 0 && length >= int64(minSectionLen) && offset+length <= int64(len(data)),
			"got section [%d, %d+%d) of a %d-byte file", offset, offset, length, len(data))
		n, verifyErr := Verify(bytes.NewReader(data[offset:offset+length]), fmt.Sprint(testName, " section ", i))
		require.Equal(t, verifyErr == nil, err == nil, "got %v from Verify; %v from reading", verifyErr, err)
		if err == nil {
			require.Equal(t, int64(len(records)), n)
		}
	})
}
