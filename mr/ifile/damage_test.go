package ifile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// outcome is what each way of reading made of a section.
type outcome struct {
	records   []record
	decodeErr error
	count     int64
	verifyErr error
	// streamed is what a verifying reader passed on through Read, and
	// copied what it passed on through WriteTo.
	streamed, copied     []byte
	streamErr, copiedErr error
}

// readAllWays reads the section data, written with the given target,
// with a Reader, with verify and with a verifying reader.
func readAllWays(data []byte, target int) outcome {
	var o outcome
	o.records, o.decodeErr = decodeTarget(data, target)
	o.count, o.verifyErr = verify(bytes.NewReader(data), testName, target)
	o.streamed, o.streamErr = io.ReadAll(newVerifyingReader(bytes.NewReader(data), testName, target))
	var buf bytes.Buffer
	_, o.copiedErr = io.Copy(&buf, newVerifyingReader(bytes.NewReader(data), testName, target))
	o.copied = buf.Bytes()
	return o
}

// testName is the file name the tests give readers.
const testName = "mr-3-7"

// requireDamaged checks that every way of reading rejects the section
// data with ErrFormat naming the file, and that the verifying reader
// passed on only bytes before at, the first damaged byte.
func requireDamaged(t *testing.T, data []byte, target, at int, what string) {
	t.Helper()
	o := readAllWays(data, target)
	for _, err := range []error{o.decodeErr, o.verifyErr, o.streamErr, o.copiedErr} {
		require.ErrorIs(t, err, ErrFormat, "%s: got %v; want ErrFormat", what, err)
		require.Contains(t, err.Error(), testName, "%s: got %q; want the file named", what, err)
	}
	for _, out := range [][]byte{o.streamed, o.copied} {
		require.LessOrEqual(t, len(out), at, "%s: got %d bytes passed on; want at most %d", what, len(out), at)
		require.True(t, bytes.Equal(data[:len(out)], out), "%s: got bytes passed on that are not the section's", what)
	}
}

// damageBase returns a section of four blocks, one of them a record
// whose key length takes two bytes, and its records.
func damageBase(t testing.TB) ([]byte, []record) {
	records := numbered(9)
	records[5] = record{strings.Repeat("k", 130), "v"}
	return encodeTarget(t, records, smallTarget), records
}

func TestDetectsDamage(t *testing.T) {
	good, _ := damageBase(t)
	trailerAt := layout(t, good)[3].end
	// full has three full blocks, which a reader could take in any order
	// but for the trailer's checksum.
	full := encodeTarget(t, numbered(12), smallTarget)
	spans := layout(t, full)
	require.Len(t, spans, 3)
	block := func(i int) []byte { return full[spans[i].start:spans[i].end] }
	fullTrailerAt := spans[2].end
	trailer := full[fullTrailerAt:]
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	header := good[:headerLen]
	r := recordBytes
	one := forge([][]byte{r("a", "1")}, 1)
	afterOne := headerLen + 1 + 4 + crcSize
	tests := []struct {
		name string
		data []byte
		at   int
	}{
		{"empty file", nil, 0},
		{"bad magic", cat([]byte("JSON"), good[len(magic):]), 0},
		{"version 1", cat([]byte("MRKV\x01"), good[headerLen:]), len(magic)},
		{"version 9", cat([]byte("MRKV\x09"), good[headerLen:]), len(magic)},
		{"trailing garbage", cat(good, []byte("x")), len(good)},
		{"two sections", cat(good, good), len(good)},
		{"no end of blocks", good[:trailerAt], trailerAt},
		{"blocks swapped", cat(header, block(1), block(0), block(2), trailer), fullTrailerAt},
		{"block dropped", cat(header, block(0), block(2), trailer), fullTrailerAt - len(block(1))},
		{"block repeated", cat(header, block(0), block(0), block(1), block(2), trailer), fullTrailerAt + len(block(0))},
		{"count off by one", forge([][]byte{r("a", "1")}, 2), afterOne},
		{"overlong block length", cat(header, []byte{0x84, 0x00}, one[headerLen+1:]), headerLen},
		{"overlong key length", forge([][]byte{[]byte("\x81\x00\x01a1")}, 1), headerLen},
		{"overlong value length", forge([][]byte{[]byte("\x01\x81\x00a1")}, 1), headerLen},
		{"overlong count", overlongCount(), afterOne},
		{"split early", forge([][]byte{r("a", "1"), r("b", "2")}, 2), afterOne},
		{"block over the target", forge([][]byte{cat(r("k00", "0"), r("k01", "1"), r("k02", "2"), r("k03", "3"), r("k04", "4"))}, 5), headerLen},
		{"record across blocks", forge([][]byte{cat(r("a", "1"), r("bb", "22")[:3]), r("bb", "22")[3:]}, 2), headerLen},
		{"key too long", forge([][]byte{binary.AppendUvarint(nil, maxFieldLen+1)}, 1), headerLen},
		{"value too long", forge([][]byte{binary.AppendUvarint([]byte{0}, maxFieldLen+1)}, 1), headerLen},
		{"block too long", cat(header, binary.AppendUvarint(nil, maxBlockLen+1), make([]byte, 100)), headerLen},
		{"length overflow", cat(header, bytes.Repeat([]byte{0xff}, 11)), headerLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireDamaged(t, tt.data, smallTarget, tt.at, tt.name)
		})
	}
}

// overlongCount returns a section of one record whose trailer holds its
// count in two bytes, with a matching checksum.
func overlongCount() []byte {
	good := forge([][]byte{[]byte("\x01\x01a1")}, 1)
	end := headerLen + 1 + 4 + crcSize
	count := []byte{0x81, 0x00}
	sum := crc32.Checksum(append(bytes.Clone(good[end-crcSize:end]), count...), castagnoli)
	b := append(bytes.Clone(good[:end]), endOfBlocks)
	b = append(b, count...)
	return binary.BigEndian.AppendUint32(b, sum)
}

func TestDetectsTruncation(t *testing.T) {
	good, _ := damageBase(t)
	for cut := range len(good) {
		requireDamaged(t, good[:cut], smallTarget, cut, fmt.Sprintf("truncated to %d bytes", cut))
	}
}

func TestDetectsBitFlips(t *testing.T) {
	good, _ := damageBase(t)
	for pos := range len(good) {
		for bit := range 8 {
			data := bytes.Clone(good)
			data[pos] ^= 1 << bit
			requireDamaged(t, data, smallTarget, pos, fmt.Sprintf("bit %d of byte %d flipped", bit, pos))
		}
	}
}

func TestNoRecordFromDamagedBlock(t *testing.T) {
	good, records := damageBase(t)
	spans := layout(t, good)
	before := 0
	for k, s := range spans {
		if k > 0 {
			for pos := s.start; pos < s.end; pos++ {
				data := bytes.Clone(good)
				data[pos] ^= 0x10
				got, err := decodeTarget(data, smallTarget)
				require.ErrorIs(t, err, ErrFormat, "byte %d of block %d flipped", pos, k)
				require.LessOrEqual(t, len(got), before,
					"byte %d of block %d flipped: got %d records; want at most the %d of blocks before it", pos, k, len(got), before)
				require.Equal(t, records[:len(got)], got)
			}
		}
		before += s.records
	}
}

func TestDamagedLengthAllocatesLittle(t *testing.T) {
	const following = 1 << 20
	data := append([]byte("MRKV\x02"), binary.AppendUvarint(nil, maxBlockLen)...)
	data = append(data, make([]byte, following)...)
	tests := []struct {
		name     string
		size     int64
		maxAlloc uint64
	}{
		// The buffer grows only as bytes arrive: to twice those there.
		{"stream", unknownSize, 8 * following},
		// The section's size bounds the block at once: the reader
		// allocates no more than its usual buffer.
		{"section", int64(len(data)), 2 * readBufferSize},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			r, err := newReader(bytes.NewReader(data), testName, tt.size, blockTarget)
			require.NoError(t, err)
			_, _, err = r.Next()
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrFormat)
			got := after.TotalAlloc - before.TotalAlloc
			require.Less(t, got, tt.maxAlloc, "got %d bytes allocated; want under %d", got, tt.maxAlloc)
		})
	}
}

// stalledReader returns data, then nothing, forever, without an error.
type stalledReader struct{ data []byte }

func (s *stalledReader) Read(p []byte) (int, error) {
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

var errNetwork = errors.New("connection reset")

func TestReadErrors(t *testing.T) {
	good, _ := damageBase(t)
	tests := []struct {
		name string
		r    func() io.Reader
		want error
	}{
		{"stalled at start", func() io.Reader { return &stalledReader{} }, io.ErrNoProgress},
		{"stalled in a block", func() io.Reader { return &stalledReader{good[:20]} }, io.ErrNoProgress},
		{"stalled after the trailer", func() io.Reader { return &stalledReader{good} }, io.ErrNoProgress},
		{"failing at start", func() io.Reader { return &failingReader{nil, errNetwork} }, errNetwork},
		{"failing in a block", func() io.Reader { return &failingReader{good[:20], errNetwork} }, errNetwork},
		{"failing after the trailer", func() io.Reader { return &failingReader{good, errNetwork} }, errNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []error
			if r, err := newReader(tt.r(), testName, unknownSize, smallTarget); err != nil {
				errs = append(errs, err)
			} else {
				_, err = drain(r)
				errs = append(errs, err)
			}
			_, err := verify(tt.r(), testName, smallTarget)
			errs = append(errs, err)
			_, err = io.ReadAll(newVerifyingReader(tt.r(), testName, smallTarget))
			errs = append(errs, err)
			for _, err := range errs {
				require.ErrorIs(t, err, tt.want)
				require.NotErrorIs(t, err, ErrFormat)
				require.Contains(t, err.Error(), testName)
			}
		})
	}
}

func TestReaderAfterRelease(t *testing.T) {
	r, err := NewReader(bytes.NewReader(encode(t, numbered(3))), testName)
	require.NoError(t, err)
	_, _, err = r.Next()
	require.NoError(t, err)
	r.Release()
	r.Release()
	_, _, err = r.Next()
	require.Error(t, err, "got no error from Next after Release")
}
