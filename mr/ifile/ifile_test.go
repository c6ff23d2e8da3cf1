package ifile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// smallTarget is the block target of tests that want many small blocks:
// four numbered records to a block.
const smallTarget = 24

type record struct{ key, value string }

// encodeTarget writes records as a section with blocks filled up to target.
func encodeTarget(t testing.TB, records []record, target int) []byte {
	var buf bytes.Buffer
	w := newWriter(&buf, target)
	for _, r := range records {
		require.NoError(t, w.Write(r.key, r.value))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func encode(t testing.TB, records []record) []byte {
	return encodeTarget(t, records, blockTarget)
}

// decodeTarget reads the section data, written with the given target.
func decodeTarget(data []byte, target int) ([]record, error) {
	r, err := newReader(bytes.NewReader(data), testName, unknownSize, target)
	if err != nil {
		return nil, err
	}
	return drain(r)
}

func decode(data []byte) ([]record, error) {
	return decodeTarget(data, blockTarget)
}

// drain reads r's records up to io.EOF.
func drain(r *Reader) ([]record, error) {
	var out []record
	for {
		k, v, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, record{k, v})
	}
}

// numbered returns n records of 6 encoded bytes each.
func numbered(n int) []record {
	recs := make([]record, n)
	for i := range recs {
		recs[i] = record{fmt.Sprintf("k%02d", i%100), fmt.Sprint(i % 10)}
	}
	return recs
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// recordBytes encodes one record, independently of the Writer.
func recordBytes(key, value string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(key)))
	b = binary.AppendUvarint(b, uint64(len(value)))
	return append(append(b, key...), value...)
}

// forge builds a section from block payloads and a record count,
// independently of the Writer, so that tests can pin the format and build
// sections the Writer would not write.
func forge(payloads [][]byte, count uint64) []byte {
	b := []byte("MRKV\x02")
	var crcs []byte
	for _, p := range payloads {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
		crc := binary.BigEndian.AppendUint32(nil, crc32.Checksum(p, castagnoli))
		b = append(b, crc...)
		crcs = append(crcs, crc...)
	}
	b = append(b, 0)
	n := binary.AppendUvarint(nil, count)
	b = append(b, n...)
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(append(crcs, n...), castagnoli))
}

// span is where a block lies in a section: its length at start, its
// payload from payload to crc, its checksum from crc to end; and the
// number of its records and the size of the first.
type span struct {
	start, payload, crc, end int
	records, first           int
}

// layout returns the blocks of the intact section data.
func layout(t testing.TB, data []byte) []span {
	var spans []span
	for pos := headerLen; ; {
		n, k := binary.Uvarint(data[pos:])
		require.Positive(t, k)
		if n == 0 {
			return spans
		}
		s := span{start: pos, payload: pos + k, crc: pos + k + int(n), end: pos + k + int(n) + crcSize}
		for p := data[s.payload:s.crc]; len(p) > 0; s.records++ {
			kl, a := binary.Uvarint(p)
			vl, b := binary.Uvarint(p[a:])
			if s.records == 0 {
				s.first = a + b + int(kl) + int(vl)
			}
			p = p[a+b+int(kl)+int(vl):]
		}
		spans = append(spans, s)
		pos = s.end
	}
}

func TestRoundTrip(t *testing.T) {
	big := record{strings.Repeat("k", 300), strings.Repeat("v", 3*blockTarget)}
	tests := []struct {
		name    string
		records []record
	}{
		{"empty", nil},
		{"one", []record{{"a", "1"}}},
		{"empty strings", []record{{"", ""}, {"", "x"}, {"k", ""}}},
		{"binary", []record{{"\x00\xff", "\n\r\x00"}, {"\x80\x80", "\xff"}}},
		{"long fields", []record{{strings.Repeat("k", 200), strings.Repeat("v", 70000)}}},
		{"bigger than a block", []record{{"a", "1"}, big, {"b", "2"}, big, big}},
		{"many blocks", numbered(50_000)},
	}
	for _, target := range []int{blockTarget, smallTarget} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/target %d", tt.name, target), func(t *testing.T) {
				got, err := decodeTarget(encodeTarget(t, tt.records, target), target)
				require.NoError(t, err)
				require.Equal(t, len(tt.records), len(got), "got %d records; want %d", len(got), len(tt.records))
				require.Equal(t, tt.records, got)
			})
		}
	}
}

func TestFormat(t *testing.T) {
	r := recordBytes
	cat := func(bs ...[]byte) []byte { return bytes.Join(bs, nil) }
	tests := []struct {
		name    string
		records []record
		want    []byte
	}{
		// Literal bytes, checksums computed by hand (by a bit-at-a-time CRC-32C).
		{"empty", nil, []byte("MRKV\x02" + "\x00\x00\x52\x7d\x53\x51")},
		{"one", []record{{"a", "1"}}, []byte("MRKV\x02" + "\x04\x01\x01a1\x61\xd5\x04\xc2" + "\x00\x01\xa8\xbb\x51\xc4")},
		// Four 6-byte records fill the 24-byte target; a fifth would not fit.
		{"split", numbered(9), forge([][]byte{
			cat(r("k00", "0"), r("k01", "1"), r("k02", "2"), r("k03", "3")),
			cat(r("k04", "4"), r("k05", "5"), r("k06", "6"), r("k07", "7")),
			r("k08", "8"),
		}, 9)},
		{"alone when bigger than the target", []record{{"a", ""}, {"k", strings.Repeat("v", 30)}, {"b", ""}},
			forge([][]byte{r("a", ""), r("k", strings.Repeat("v", 30)), r("b", "")}, 3)},
		{"long lengths", []record{{strings.Repeat("k", 200), ""}},
			forge([][]byte{append([]byte{0xc8, 0x01, 0x00}, strings.Repeat("k", 200)...)}, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encodeTarget(t, tt.records, smallTarget)
			require.Equal(t, tt.want, got, "got %x; want %x", got, tt.want)
		})
	}
}

func TestBlocksFilledToTarget(t *testing.T) {
	big := record{"big", strings.Repeat("v", blockTarget)}
	records := append(numbered(30_000), big)
	records = append(records, numbered(30_000)...)
	data := encode(t, records)
	spans := layout(t, data)
	require.Greater(t, len(spans), 3, "got %d blocks; want several", len(spans))
	total := 0
	for i, s := range spans {
		n := s.crc - s.payload
		total += s.records
		if s.records > 1 {
			require.LessOrEqual(t, n, blockTarget, "block %d: got %d bytes; want at most %d", i, n, blockTarget)
		}
		if i+1 < len(spans) {
			next := spans[i+1].first
			require.Greater(t, n+next, blockTarget, "block %d: got %d bytes, then a %d-byte record; want the record in the block", i, n, next)
		}
	}
	require.Equal(t, len(records), total, "got %d records in blocks; want %d", total, len(records))
}

func TestWriteDoesNotAllocate(t *testing.T) {
	w := NewWriter(io.Discard)
	value := strings.Repeat("v", 100)
	allocs := testing.AllocsPerRun(10_000, func() {
		if err := w.Write("key", value); err != nil {
			t.Fatal(err)
		}
	})
	require.Zero(t, allocs, "got %v allocations per Write; want 0", allocs)
	require.NoError(t, w.Close())
}

// failingWriter accepts n bytes, then fails.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	tests := []struct {
		name    string
		records []record
		accept  int
	}{
		{"header", nil, 2},
		{"block", numbered(20_000), 1000},
		{"big record", []record{{"k", strings.Repeat("v", 3*blockTarget)}}, blockTarget},
		{"trailer", numbered(3), 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter(&failingWriter{n: tt.accept})
			for _, r := range tt.records {
				if w.Write(r.key, r.value) != nil {
					break
				}
			}
			err := w.Close()
			require.ErrorIs(t, err, errDiskFull)
			require.ErrorIs(t, w.Write("k", "v"), errDiskFull)
		})
	}
	w := NewWriter(io.Discard)
	require.NoError(t, w.Close())
	require.Error(t, w.Write("k", "v"), "got no error writing after Close")
	require.Error(t, w.Close(), "got no error closing twice")
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("key", "value", "k2", "", 3)
	f.Add("", "", "\x00", "\xff\xfe", 1)
	f.Add(strings.Repeat("k", 130), "v", "", strings.Repeat("w", 40), 2)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string, n int) {
		var records []record
		for range n % 8 {
			records = append(records, record{k1, v1}, record{k2, v2})
		}
		for _, target := range []int{smallTarget, blockTarget} {
			got, err := decodeTarget(encodeTarget(t, records, target), target)
			require.NoError(t, err)
			require.Equal(t, records, got)
		}
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(encodeTarget(f, nil, smallTarget))
	f.Add(encodeTarget(f, []record{{"a", "b"}}, smallTarget))
	f.Add(encodeTarget(f, numbered(10), smallTarget))
	f.Add(encodeTarget(f, []record{{"", strings.Repeat("v", 200)}, {"k", ""}}, smallTarget))
	f.Add([]byte("MRKV\x02\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		records, err := decodeTarget(data, smallTarget)
		if err != nil {
			require.ErrorIs(t, err, ErrFormat)
			return
		}
		// Whatever decodes cleanly must re-encode to the same bytes.
		require.Equal(t, data, encodeTarget(t, records, smallTarget))
	})
}

// FuzzDecodeForged gets past the checksums, which a fuzzer cannot forge,
// to the checks behind them: it cuts payload into blocks at the given
// points and forges a section of them with correct checksums, counting
// records leniently and adding countDelta. Whatever decodes cleanly must
// re-encode to the same bytes, and Verify, Next and the verifying reader
// must agree.
func FuzzDecodeForged(f *testing.F) {
	r := recordBytes
	f.Add(bytes.Join([][]byte{r("k00", "0"), r("k01", "1"), r("k02", "2"), r("k03", "3"), r("k04", "4")}, nil), uint16(24), uint16(30), int8(0))
	f.Add(bytes.Join([][]byte{r("a", ""), r("k", strings.Repeat("v", 30)), r("b", "")}, nil), uint16(2), uint16(34), int8(0))
	f.Add([]byte("\x01\x01a1"), uint16(0), uint16(0), int8(1))
	// Found by fuzzing mutants of the reader, one without the check on
	// where blocks split, one without the check on shortest uvarints.
	f.Add([]byte("\x03\x010000"), uint16(24), uint16(0), int8(0))
	f.Add([]byte("\x03\x80\x00000"), uint16(8), uint16(30), int8(0))
	f.Fuzz(func(t *testing.T, payload []byte, cut1, cut2 uint16, countDelta int8) {
		cuts := []int{0, min(int(cut1), len(payload)), min(int(cut2), len(payload)), len(payload)}
		var payloads [][]byte
		count := int64(countDelta)
		for i := range 3 {
			if p := payload[cuts[i]:max(cuts[i], cuts[i+1])]; len(p) > 0 {
				payloads = append(payloads, p)
				count += int64(lenientCount(p))
			}
		}
		data := forge(payloads, uint64(max(count, 0)))
		o := readAllWays(data, smallTarget)
		require.Equal(t, o.verifyErr == nil, o.decodeErr == nil, "got %v from Verify; %v from Next", o.verifyErr, o.decodeErr)
		require.Equal(t, o.verifyErr == nil, o.streamErr == nil, "got %v from Verify; %v from Read", o.verifyErr, o.streamErr)
		require.Equal(t, o.verifyErr == nil, o.copiedErr == nil, "got %v from Verify; %v from WriteTo", o.verifyErr, o.copiedErr)
		if o.decodeErr != nil {
			require.ErrorIs(t, o.decodeErr, ErrFormat)
			require.ErrorIs(t, o.verifyErr, ErrFormat)
			return
		}
		require.Equal(t, int64(len(o.records)), o.count)
		require.Equal(t, data, encodeTarget(t, o.records, smallTarget))
	})
}

// lenientCount counts the records at the start of p that look whole.
func lenientCount(p []byte) int {
	n := 0
	for len(p) > 0 {
		k, a := binary.Uvarint(p)
		if a <= 0 {
			break
		}
		v, b := binary.Uvarint(p[a:])
		if b <= 0 || k > uint64(len(p)) || v > uint64(len(p)) || uint64(len(p)-a-b) < k+v {
			break
		}
		p = p[a+b+int(k)+int(v):]
		n++
	}
	return n
}

func TestBytesReaderReadsInPlace(t *testing.T) {
	big := record{strings.Repeat("k", 300), strings.Repeat("v", 3*blockTarget)}
	for _, records := range [][]record{nil, {{"a", "1"}}, {{"a", "1"}, big, {"b", "2"}}, numbered(20_000)} {
		data := encode(t, records)
		original := bytes.Clone(data)
		r, err := NewBytesReader(data, testName)
		require.NoError(t, err)
		got, err := drain(r)
		require.NoError(t, err)
		require.Equal(t, len(records), len(got))
		if len(records) > 0 {
			require.Equal(t, records, got)
		}
		require.Equal(t, original, data, "the section was changed while read")
	}
	data := encode(t, numbered(100))
	for _, damaged := range [][]byte{data[:len(data)-3], append(bytes.Clone(data), 'x')} {
		r, err := NewBytesReader(damaged, testName)
		if err == nil {
			_, err = drain(r)
		}
		require.ErrorIs(t, err, ErrFormat)
		require.ErrorContains(t, err, testName)
	}
}
