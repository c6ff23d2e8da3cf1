package baseline

import (
	"bufio"
	"os"
	"slices"
	"strconv"
)

// outputBufferSize is the write buffer of WriteCounts.
const outputBufferSize = 1 << 20

// WriteCounts writes one "word count" line per word, in byte order of the
// words (the order of mrsequential's mr-out-0), to path.
func WriteCounts(path string, counts map[string]int) error {
	words := make([]string, 0, len(counts))
	for w := range counts {
		words = append(words, w)
	}
	slices.Sort(words)
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, outputBufferSize)
	var line []byte
	for _, w := range words {
		line = append(line[:0], w...)
		line = append(line, ' ')
		line = strconv.AppendInt(line, int64(counts[w]), 10)
		line = append(line, '\n')
		bw.Write(line)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
