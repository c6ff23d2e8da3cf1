package ifile

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestVerifyAcceptsWhatTheWriterWrites(t *testing.T) {
	big := record{"big", strings.Repeat("v", 2*blockTarget)}
	tests := []struct {
		name    string
		records []record
	}{
		{"empty", nil},
		{"one", []record{{"a", "1"}}},
		{"empty strings", []record{{"", ""}, {"", ""}}},
		{"bigger than a block", []record{{"a", "1"}, big, {"b", "2"}}},
		{"many blocks", numbered(40_000)},
	}
	for _, target := range []int{blockTarget, smallTarget} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/target %d", tt.name, target), func(t *testing.T) {
				data := encodeTarget(t, tt.records, target)
				o := readAllWays(data, target)
				require.NoError(t, o.verifyErr)
				require.Equal(t, int64(len(tt.records)), o.count, "got %d records; want %d", o.count, len(tt.records))
				require.NoError(t, o.streamErr)
				require.True(t, bytes.Equal(data, o.streamed), "got %d bytes from Read; want the %d of the section", len(o.streamed), len(data))
				require.NoError(t, o.copiedErr)
				require.True(t, bytes.Equal(data, o.copied), "got %d bytes from WriteTo; want the %d of the section", len(o.copied), len(data))
				require.NoError(t, iotest.TestReader(newVerifyingReader(bytes.NewReader(data), testName, target), data))
				slow := iotest.HalfReader(iotest.DataErrReader(iotest.OneByteReader(bytes.NewReader(data))))
				got, err := io.ReadAll(newVerifyingReader(slow, testName, target))
				require.NoError(t, err)
				require.True(t, bytes.Equal(data, got), "got %d bytes from a slow source; want %d", len(got), len(data))
			})
		}
	}
}

func TestExportedVerifiers(t *testing.T) {
	data := encode(t, numbered(30_000))
	n, err := Verify(bytes.NewReader(data), testName)
	require.NoError(t, err)
	require.Equal(t, int64(30_000), n)
	var buf bytes.Buffer
	copied, err := CopyVerified(&buf, bytes.NewReader(data), testName)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), copied)
	require.True(t, bytes.Equal(data, buf.Bytes()), "got different bytes from CopyVerified")
	got, err := io.ReadAll(NewVerifyingReader(bytes.NewReader(data), testName))
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got), "got different bytes from NewVerifyingReader")
}

// TestCopyVerifiedStopsBeforeDamage is a fetcher's view: what it wrote
// before an error is the intact start of the section, whole blocks.
func TestCopyVerifiedStopsBeforeDamage(t *testing.T) {
	data := encode(t, numbered(60_000))
	spans := layout(t, data)
	require.Greater(t, len(spans), 3)
	for k := range spans {
		damaged := bytes.Clone(data)
		damaged[(spans[k].payload+spans[k].crc)/2] ^= 1
		var buf bytes.Buffer
		n, err := CopyVerified(&buf, bytes.NewReader(damaged), testName)
		require.ErrorIs(t, err, ErrFormat)
		require.Equal(t, int64(spans[k].start), n, "damage in block %d: got %d bytes copied; want the %d before it", k, n, spans[k].start)
		require.True(t, bytes.Equal(data[:n], buf.Bytes()), "damage in block %d: got bytes that are not the section's", k)
	}
}

// shortWriter accepts one byte less than it is given.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) { return max(len(p)-1, 0), nil }

func TestCopyVerifiedWriteErrors(t *testing.T) {
	data := encode(t, numbered(10))
	_, err := CopyVerified(shortWriter{}, bytes.NewReader(data), testName)
	require.ErrorIs(t, err, io.ErrShortWrite)
	_, err = CopyVerified(&failingWriter{n: 10}, bytes.NewReader(data), testName)
	require.ErrorIs(t, err, errDiskFull)
}

func TestVerifyingReaderMemory(t *testing.T) {
	records := make([]record, 12_000)
	for i := range records {
		records[i] = record{fmt.Sprint(i), strings.Repeat("v", 1000)}
	}
	data := encode(t, records)
	require.Greater(t, len(data), 150*readBufferSize)
	tests := []struct {
		name string
		copy func(r io.Reader) (int64, error)
	}{
		{"WriteTo", func(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) }},
		// Hide WriteTo and ReadFrom, so that io.Copy calls Read.
		{"Read", func(r io.Reader) (int64, error) {
			return io.Copy(struct{ io.Writer }{io.Discard}, struct{ io.Reader }{r})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n, err := tt.copy(NewVerifyingReader(bytes.NewReader(data), testName))
			runtime.ReadMemStats(&after)
			require.NoError(t, err)
			require.Equal(t, int64(len(data)), n)
			got, limit := after.TotalAlloc-before.TotalAlloc, uint64(4*readBufferSize)
			require.Less(t, got, limit, "got %d bytes allocated for a %d-byte section; want under %d", got, len(data), limit)
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add(encodeTarget(f, nil, smallTarget))
	f.Add(encodeTarget(f, numbered(10), smallTarget))
	base, _ := damageBase(f)
	f.Add(base)
	f.Fuzz(func(t *testing.T, data []byte) {
		// Verify, Next and the verifying reader must agree.
		o := readAllWays(data, smallTarget)
		for _, err := range []error{o.decodeErr, o.verifyErr, o.streamErr, o.copiedErr} {
			if err != nil {
				require.ErrorIs(t, err, ErrFormat)
			}
		}
		if o.verifyErr != nil {
			require.Error(t, o.decodeErr, "Verify failed with %v; Next did not", o.verifyErr)
			require.Error(t, o.streamErr, "Verify failed with %v; the verifying reader did not", o.verifyErr)
			require.Error(t, o.copiedErr, "Verify failed with %v; the verifying reader did not", o.verifyErr)
			for _, out := range [][]byte{o.streamed, o.copied} {
				require.True(t, bytes.HasPrefix(data, out), "got bytes passed on that are not the section's")
			}
			return
		}
		require.NoError(t, o.decodeErr, "Verify passed; Next failed")
		require.Equal(t, o.count, int64(len(o.records)), "got %d records from Verify; %d from Next", o.count, len(o.records))
		require.NoError(t, o.streamErr)
		require.NoError(t, o.copiedErr)
		require.True(t, bytes.Equal(data, o.streamed) && bytes.Equal(data, o.copied), "got different bytes passed on")
	})
}
