package ifile

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// benchRecords returns n word-count-like records.
func benchRecords(n int) []record {
	recs := make([]record, n)
	for i := range recs {
		recs[i] = record{fmt.Sprintf("word%07d", i), "1"}
	}
	return recs
}

func BenchmarkWrite(b *testing.B) {
	recs := benchRecords(100_000)
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		w := NewWriter(&buf)
		for _, r := range recs {
			w.Write(r.key, r.value)
		}
		w.Close()
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkRead(b *testing.B) {
	recs := benchRecords(100_000)
	data := encode(b, recs)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(recs))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkVerify(b *testing.B) {
	data := encode(b, benchRecords(100_000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Verify(bytes.NewReader(data), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCopyVerified(b *testing.B) {
	data := encode(b, benchRecords(100_000))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CopyVerified(io.Discard, bytes.NewReader(data), "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
