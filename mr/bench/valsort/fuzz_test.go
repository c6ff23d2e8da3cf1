package valsort

import (
	"bytes"
	"errors"
	"testing"
	"testing/iotest"

	"6.5840/mr/bench/gensort"
	"6.5840/mr/bench/sortrec"
)

// FuzzRead feeds arbitrary bytes to a Checker: it never panics, accepts
// exactly the inputs made of whole well-formed records, and counts them.
func FuzzRead(f *testing.F) {
	g, err := gensort.New(gensort.Config{Records: 4, Seed: 1})
	if err != nil {
		f.Fatal(err)
	}
	var seed bytes.Buffer
	if err := g.WriteRange(&seed, gensort.Range{Count: 4}); err != nil {
		f.Fatal(err)
	}
	f.Add(seed.Bytes(), uint8(1))
	f.Add(seed.Bytes()[:150], uint8(3))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, bufRecs uint8) {
		c := NewChecker()
		c.bufRecords = 1 + int(bufRecs%4)
		err := c.Read("fuzz", iotest.HalfReader(bytes.NewReader(data)))
		valid := len(data)%sortrec.Size == 0
		for off := 0; valid && off < len(data); off += sortrec.Size {
			valid = sortrec.Check(data[off:off+sortrec.Size]) == nil
		}
		switch {
		case valid && err != nil:
			t.Fatalf("valid input rejected: %v", err)
		case !valid && err == nil:
			t.Fatalf("invalid input of %d bytes accepted", len(data))
		case err != nil && !errors.Is(err, sortrec.ErrFormat):
			t.Fatalf("got %v; want an error wrapping ErrFormat", err)
		case valid && c.Summary().Records != uint64(len(data)/sortrec.Size):
			t.Fatalf("got %d records; want %d", c.Summary().Records, len(data)/sortrec.Size)
		}
		if s := c.Summary(); s.Unordered > 0 && s.FirstUnordered == nil {
			t.Fatal("unordered records but no first one described")
		}
	})
}
