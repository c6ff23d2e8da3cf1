package shuffle

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// benchSectionSize is the size of the section BenchmarkFetch fetches.
const benchSectionSize = 32 << 20

// benchRecords returns records of about 1 KiB filling a section of
// benchSectionSize bytes.
func benchRecords(output, int) [][2]string {
	const valueLen = 1000
	value := strings.Repeat("v", valueLen)
	recs := make([][2]string, benchSectionSize/(valueLen+20))
	for i := range recs {
		recs[i] = [2]string{fmt.Sprintf("key%012d", i), value}
	}
	return recs
}

// BenchmarkFetch fetches a 32 MiB section over loopback: the handler
// reads it from a file and MACs it, the Fetcher checks its blocks and
// its MAC.
func BenchmarkFetch(b *testing.B) {
	o := output{mapTask: 1, attempt: 0}
	w := newWorker(b, testKey)
	path := filepath.Join(w.dir, "mo-big")
	section := writeMapOutput(b, path, o, 1, benchRecords)[0]
	w.paths[o] = path
	addr := serve(b, w.handler)
	f := newTestFetcher(b, nil)

	b.SetBytes(int64(len(section)))
	b.ReportAllocs()
	for b.Loop() {
		n, err := f.Fetch(b.Context(), addr, o.mapTask, o.attempt, 0, io.Discard)
		if err != nil || n != int64(len(section)) {
			b.Fatalf("fetched %d of %d bytes: %v", n, len(section), err)
		}
	}
}
