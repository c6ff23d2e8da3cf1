package corpus

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// The kinds of corpus.
const (
	// KindZipf is English-like text over a made-up Zipf vocabulary: the
	// stress case for distinct keys.
	KindZipf = "zipf"
	// KindText is real text: lines of the source texts (the Project
	// Gutenberg books in testdata), drawn at random with the seed. It
	// has the capitals, punctuation, long lines and vocabulary of what
	// users run.
	KindText = "text"
)

// TextSources is the pattern of the source texts of KindText in their
// folder.
const TextSources = "pg-*.txt"

// NewTextSpec returns the Spec of a KindText corpus of size bytes in files
// files from seed, drawn from the texts matching TextSources in textDir.
// The manifest keeps a digest of the texts, so that other texts give
// another corpus.
func NewTextSpec(size int64, files int, seed uint64, textDir string) (Spec, error) {
	s, err := NewSpec(size, files, seed)
	if err != nil {
		return s, err
	}
	s.Kind, s.Vocab, s.TextDir = KindText, 0, textDir
	lines, digest, err := readTextLines(textDir)
	if err != nil {
		return s, err
	}
	if len(lines) == 0 {
		return s, fmt.Errorf("the texts %s in %s have no lines", TextSources, textDir)
	}
	s.TextDigest = digest
	return s, nil
}

// readTextLines returns the lines, newline included, of the texts in dir
// in the order of their names, and a SHA-256 of the texts. A text's last
// line gets a newline if it has none, so that drawn lines never run
// together.
func readTextLines(dir string) ([][]byte, string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, TextSources))
	if err != nil {
		return nil, "", err
	}
	if len(paths) == 0 {
		return nil, "", fmt.Errorf("no texts %s in %s (-text-dir)", TextSources, dir)
	}
	slices.Sort(paths)
	h := sha256.New()
	var lines [][]byte
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(p), len(data))
		h.Write(data)
		for len(data) > 0 {
			end := bytes.IndexByte(data, '\n') + 1
			if end == 0 {
				lines = append(lines, append(data[:len(data):len(data)], '\n'))
				break
			}
			lines = append(lines, data[:end])
			data = data[end:]
		}
	}
	return lines, hex.EncodeToString(h.Sum(nil)), nil
}

// textFile appends file i of a KindText corpus, size bytes of lines drawn
// with the seed from lines, to buf; the last line is cut at the size.
func textFile(buf []byte, lines [][]byte, seed uint64, i int, size int64) []byte {
	r := newRNG(seed, uint64(i))
	for int64(len(buf)) < size {
		buf = append(buf, lines[r.intn(len(lines))]...)
	}
	return buf[:size]
}
