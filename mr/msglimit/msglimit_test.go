package msglimit

import (
	"bytes"
	"encoding/gob"
	"errors"
	"io"
	"net/rpc"
	"strings"
	"testing"
	"testing/iotest"

	"6.5840/mr/protocol"
)

// gobStream returns the gob encoding of values, one message after another
// as net/rpc writes them.
func gobStream(t testing.TB, values ...any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for _, v := range values {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func TestLimitMessagesPassesARequestThroughUnchanged(t *testing.T) {
	args := protocol.ReportArgs{Header: protocol.Header{Worker: 3, RequestID: "w3-7"}, Counters: map[string]int64{"words": 12, strings.Repeat("x", 300): 1}}
	stream := gobStream(t, &rpc.Request{ServiceMethod: protocol.MethodReport, Seq: 7}, &args)
	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream),
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":     iotest.HalfReader(bytes.NewReader(stream)),
	} {
		got, err := io.ReadAll(NewReader(r, protocol.MaxRequestBytes))
		if err != nil || !bytes.Equal(got, stream) {
			t.Errorf("%s: read %d bytes, err %v; want the %d bytes unchanged", name, len(got), err, len(stream))
		}
		dec := gob.NewDecoder(NewReader(bytes.NewReader(stream), protocol.MaxRequestBytes))
		var req rpc.Request
		var back protocol.ReportArgs
		if err := dec.Decode(&req); err != nil {
			t.Fatalf("%s: decode request header: %v", name, err)
		}
		if err := dec.Decode(&back); err != nil || back.Counters["words"] != 12 {
			t.Fatalf("%s: decode body: %v, %+v", name, err, back)
		}
	}
}

func TestLimitMessagesRefusesAHugeLengthBeforeAllocating(t *testing.T) {
	// A length prefix of 8 GiB - 1 (gob's own limit is 8 GiB): a decoder
	// reading the raw stream would try to allocate that much.
	huge := []byte{0xfc, 0x01, 0xff, 0xff, 0xff, 'x'}
	r := NewReader(bytes.NewReader(huge), protocol.MaxRequestBytes)
	var v int
	err := gob.NewDecoder(r).Decode(&v)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("decode: got %v; want ErrTooLarge", err)
	}
	if _, err := r.Read(make([]byte, 1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("read after the refusal: got %v; want ErrTooLarge again", err)
	}
}

func TestLimitMessagesBoundary(t *testing.T) {
	body := strings.Repeat("a", 1000)
	stream := gobStream(t, body)
	for _, tc := range []struct {
		max  uint64
		want error
	}{
		{max: uint64(len(stream)), want: nil},
		{max: 900, want: ErrTooLarge},
	} {
		var got string
		err := gob.NewDecoder(NewReader(bytes.NewReader(stream), tc.max)).Decode(&got)
		if !errors.Is(err, tc.want) || (err == nil && got != body) {
			t.Errorf("max %d: got err %v; want %v", tc.max, err, tc.want)
		}
	}
}

// FuzzLimitMessages: whatever the bytes, the reader hands on a prefix of
// them unchanged, and stops with an error only at a length over the limit
// or a broken stream.
func FuzzLimitMessages(f *testing.F) {
	f.Add(gobStream(f, &rpc.Request{ServiceMethod: protocol.MethodHeartbeat, Seq: 1}, &protocol.HeartbeatArgs{}), uint16(64))
	f.Add([]byte{0xfc, 0x01, 0xff, 0xff, 0xff}, uint16(1000))
	f.Add([]byte{0x80, 0x05}, uint16(10))
	f.Add([]byte{0x03, 'a', 'b'}, uint16(2))
	f.Fuzz(func(t *testing.T, data []byte, max uint16) {
		got, err := io.ReadAll(NewReader(iotest.HalfReader(bytes.NewReader(data)), uint64(max)))
		if !bytes.HasPrefix(data, got) {
			t.Fatalf("handed on %x, not a prefix of %x", got, data)
		}
		if err == nil && !bytes.Equal(got, data) {
			t.Fatalf("no error but only %d of %d bytes handed on", len(got), len(data))
		}
		if errors.Is(err, ErrTooLarge) && len(got) == len(data) {
			t.Fatalf("refused, yet every byte was handed on")
		}
	})
}

// countingReader counts the reads made of it.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

func TestLimitMessagesReadsARequestInOneRead(t *testing.T) {
	args := protocol.ReportArgs{Header: protocol.Header{Worker: 3, RequestID: "w3-7"}, Counters: map[string]int64{"words": 12}}
	stream := gobStream(t, &rpc.Request{ServiceMethod: protocol.MethodReport, Seq: 7}, &args)
	conn := &countingReader{r: bytes.NewReader(stream)}
	dec := gob.NewDecoder(NewReader(conn, protocol.MaxRequestBytes))
	var req rpc.Request
	var back protocol.ReportArgs
	if err := dec.Decode(&req); err != nil {
		t.Fatalf("decode request header: %v", err)
	}
	if err := dec.Decode(&back); err != nil || back.Counters["words"] != 12 {
		t.Fatalf("decode body: %v, %+v", err, back)
	}
	// Unbuffered, each of the two messages took a read for its length
	// prefix's first byte, one for the rest of it, and one for the body.
	if conn.reads != 1 {
		t.Fatalf("%d reads of the connection for a request of %d bytes; want 1", conn.reads, len(stream))
	}
}
