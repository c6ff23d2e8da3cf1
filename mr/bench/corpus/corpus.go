// Package corpus generates the benchmark's word-count corpus:
// English-like text over a made-up vocabulary, words drawn from a Zipf
// distribution (the k-th most frequent word has weight 1/k), in sentences
// with capitals, commas, quotes, numbers, a few non-ASCII letters and
// punctuation, wrapped at about 72 columns. Everything is derived from the
// seed with integer arithmetic only, so the same seed gives byte-identical
// files on every machine and Go version. A manifest beside the files
// (corpus.json) lets a later run reuse a corpus it finds (Spec.Cached).
package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

const (
	// version changes whenever the generated text would change, so
	// that a cached corpus from an older generator is regenerated.
	version      = 1
	vocabSize    = 50000
	lineWidth    = 72
	manifestName = "corpus.json"
)

// Spec says what to generate; it is also the manifest's content.
type Spec struct {
	Version int `json:"version"`
	// Kind is KindZipf or KindText.
	Kind  string `json:"kind"`
	Size  int64  `json:"size"`
	Files int    `json:"files"`
	Seed  uint64 `json:"seed"`
	// Vocab is the size of KindZipf's vocabulary.
	Vocab int `json:"vocab,omitempty"`
	// TextDigest identifies KindText's source texts, which are read from
	// TextDir.
	TextDigest string `json:"text_digest,omitempty"`
	TextDir    string `json:"-"`
}

// NewSpec returns the Spec of size bytes in files files from seed, or an
// error if size or files is out of range.
func NewSpec(size int64, files int, seed uint64) (Spec, error) {
	s := Spec{Version: version, Kind: KindZipf, Size: size, Files: files, Seed: seed, Vocab: vocabSize}
	switch {
	case files < 1:
		return s, fmt.Errorf("need at least one file, got %d", files)
	case size < int64(files):
		return s, fmt.Errorf("size %d is less than one byte per file (%d files)", size, files)
	}
	return s, nil
}

// FileName is the name of file i: corpus-00.txt, corpus-01.txt, ...
func FileName(i int) string { return fmt.Sprintf("corpus-%02d.txt", i) }

// fileSizes splits the total size evenly; the first files get the
// remainder, one byte each.
func (s Spec) fileSizes() []int64 {
	sizes := make([]int64, s.Files)
	for i := range sizes {
		sizes[i] = s.Size / int64(s.Files)
		if int64(i) < s.Size%int64(s.Files) {
			sizes[i]++
		}
	}
	return sizes
}

// Paths returns the corpus files in dir.
func (s Spec) Paths(dir string) []string {
	p := make([]string, s.Files)
	for i := range p {
		p[i] = filepath.Join(dir, FileName(i))
	}
	return p
}

// Cached reports whether dir holds exactly the corpus of s: a manifest for
// s and every file with its expected size, and no other corpus file.
func (s Spec) Cached(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return false
	}
	var m Spec
	m.TextDir = s.TextDir // not in the manifest
	if json.Unmarshal(data, &m) != nil || m != s {
		return false
	}
	existing, _ := filepath.Glob(filepath.Join(dir, "corpus-*.txt"))
	if len(existing) != s.Files {
		return false
	}
	for i, size := range s.fileSizes() {
		fi, err := os.Stat(filepath.Join(dir, FileName(i)))
		if err != nil || !fi.Mode().IsRegular() || fi.Size() != size {
			return false
		}
	}
	return true
}

// Ensure generates the corpus of s in dir unless it is already there.
// It reports whether it generated anything.
func Ensure(dir string, s Spec) (bool, error) {
	if s.Cached(dir) {
		return false, nil
	}
	return true, Generate(dir, s)
}

// Generate writes the corpus of s to dir, replacing any corpus files
// there, and writes the manifest last.
func Generate(dir string, s Spec) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "corpus-*.txt"))
	old = append(old, filepath.Join(dir, manifestName))
	for _, p := range old {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	makeFile, err := s.generator()
	if err != nil {
		return err
	}
	sizes := s.fileSizes()
	next := make(chan int, len(sizes))
	for i := range sizes {
		next <- i
	}
	close(next)
	errs := make([]error, len(sizes))
	var wg sync.WaitGroup
	for range min(runtime.NumCPU(), len(sizes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for i := range next {
				buf = makeFile(buf[:0], i, sizes[i])
				errs[i] = os.WriteFile(filepath.Join(dir, FileName(i)), buf, 0o644)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	manifest, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, manifestName), append(manifest, '\n'), 0o644)
}

// generator returns the function that appends file i of s, size bytes,
// to a buffer.
func (s Spec) generator() (func(buf []byte, i int, size int64) []byte, error) {
	switch s.Kind {
	case KindZipf:
		return newGenerator(s.Seed).file, nil
	case KindText:
		lines, digest, err := readTextLines(s.TextDir)
		switch {
		case err != nil:
			return nil, err
		case digest != s.TextDigest:
			return nil, fmt.Errorf("the texts in %s changed since the spec was made", s.TextDir)
		}
		return func(buf []byte, i int, size int64) []byte { return textFile(buf, lines, s.Seed, i, size) }, nil
	}
	return nil, fmt.Errorf("unknown corpus kind %q (want %s or %s)", s.Kind, KindZipf, KindText)
}

// WriteTiny writes n tiny inputs of a few words each, tiny-0000.txt, ...,
// to dir and returns their paths.
func WriteTiny(dir string, n int, seed uint64) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := newGenerator(seed)
	r := newRNG(seed, 1<<40)
	paths := make([]string, n)
	var buf []byte
	for i := range paths {
		buf = buf[:0]
		for j := range 2 + r.intn(7) {
			if j > 0 {
				buf = append(buf, ' ')
			}
			buf = append(buf, g.vocab[g.zipf(&r)]...)
		}
		buf = append(buf, '\n')
		paths[i] = filepath.Join(dir, fmt.Sprintf("tiny-%04d.txt", i))
		if err := os.WriteFile(paths[i], buf, 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}

// rng is splitmix64: tiny, fast, and fixed forever.
type rng struct{ s uint64 }

func newRNG(seed, stream uint64) rng {
	r := rng{seed ^ stream*0xd1342543de82ef95}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a uniform integer in [0, n).
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// percent returns true with probability p/100.
func (r *rng) percent(p int) bool { return r.intn(100) < p }

// generator holds the vocabulary and the Zipf table of one seed.
type generator struct {
	seed  uint64
	vocab [][]byte // by rank: vocab[0] is the most frequent word
	cum   []uint64 // cum[k] = sum of the weights of ranks 0..k
	guide []int32  // guide[j]: first rank whose cum exceeds j*total/len(guide)
}

// English letter frequencies, per 10,000 letters.
var letterWeights = [26]int{817, 149, 278, 425, 1270, 223, 202, 609, 697, 15, 77, 403, 241,
	675, 751, 193, 10, 599, 633, 906, 276, 98, 236, 15, 197, 7}

// Non-ASCII letters used in about 2% of the words.
var accented = []string{"é", "è", "à", "ü", "ö", "ä", "ñ", "ç", "ø", "å", "ß", "ł"}

func newGenerator(seed uint64) *generator {
	r := newRNG(seed, 1)
	g := &generator{seed: seed, vocab: make([][]byte, 0, vocabSize), cum: make([]uint64, vocabSize)}
	seen := make(map[string]bool, vocabSize)
	for len(g.vocab) < vocabSize {
		// Frequent words are short: the length grows with the log of the
		// rank, about 2-3 letters for the top ten, 7-8 in the tail.
		k := len(g.vocab)
		n := min(12, max(2, 2+bits.Len(uint(k+1))*3/10+r.intn(4)-1))
		var w []byte
		for range n {
			w = append(w, byte('a'+pick(&r, letterWeights[:])))
		}
		if r.percent(2) {
			i := r.intn(len(w))
			w = slices.Concat(w[:i], []byte(accented[r.intn(len(accented))]), w[i+1:])
		}
		if seen[string(w)] {
			continue
		}
		seen[string(w)] = true
		g.vocab = append(g.vocab, w)
	}
	var total uint64
	for k := range g.cum {
		total += (1 << 40) / uint64(k+1)
		g.cum[k] = total
	}
	g.guide = make([]int32, 1<<16)
	k := 0
	for j := range g.guide {
		threshold := uint64(j) * total >> 16 // total < 2^44: no overflow
		for g.cum[k] <= threshold {
			k++
		}
		g.guide[j] = int32(k)
	}
	return g
}

// pick returns an index drawn with the given integer weights.
func pick(r *rng, weights []int) int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	x := r.intn(sum)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

// zipf returns a rank drawn from the Zipf distribution.
func (g *generator) zipf(r *rng) int {
	total := g.cum[len(g.cum)-1]
	u, _ := bits.Mul64(r.next(), total) // uniform in [0, total)
	// u lies in bucket j = u*2^16/total, whose first rank is guide[j]; the
	// rank of u is the first k from there with cum[k] > u.
	k := int(g.guide[u<<16/total])
	for g.cum[k] <= u {
		k++
	}
	return k
}

// file appends file i's text of exactly size bytes to buf.
func (g *generator) file(buf []byte, i int, size int64) []byte {
	r := newRNG(g.seed, 1000+uint64(i))
	t := &text{start: len(buf), n: int(size)}
	t.buf = slices.Grow(buf, t.n)
	var word []byte
	sep := ""
	for {
		quoted := r.percent(4)
		words := 4 + r.intn(20)
		for w := range words {
			word = g.word(&r, word[:0], w, words, quoted)
			if !t.put(sep, word) {
				return t.pad()
			}
			sep = separator(&r, w == words-1)
		}
	}
}

// word appends word w of a sentence of words words to buf: a number, or a
// word of the vocabulary, capitalized first; the last ends the sentence.
func (g *generator) word(r *rng, buf []byte, w, words int, quoted bool) []byte {
	if w == 0 && quoted {
		buf = append(buf, '"')
	}
	switch {
	case r.percent(1):
		buf = fmt.Appendf(buf, "%d", 1+r.intn(2025))
	default:
		v := g.vocab[g.zipf(r)]
		if w == 0 {
			buf = appendCapitalized(buf, v)
		} else {
			buf = append(buf, v...)
		}
		if r.percent(2) {
			buf = append(buf, "'s"...)
		}
	}
	if w < words-1 {
		return buf
	}
	switch x := r.intn(100); {
	case x < 85:
		buf = append(buf, '.')
	case x < 92:
		buf = append(buf, '?')
	case x < 97:
		buf = append(buf, '!')
	default:
		buf = append(buf, "..."...)
	}
	if quoted {
		buf = append(buf, '"')
	}
	return buf
}

// separator returns what follows a word: after a sentence's last, a space
// or a paragraph break; else mostly a space, sometimes punctuation.
func separator(r *rng, last bool) string {
	switch x := r.intn(100); {
	case last:
		if r.percent(15) {
			return "\n\n"
		}
		return " "
	case x < 6:
		return ", "
	case x < 7:
		return "; "
	case x < 8:
		return " — "
	case x < 9:
		return " - "
	default:
		return " "
	}
}

// text is a file's text being written into buf from start: n bytes, in
// lines wrapped at lineWidth.
type text struct {
	buf      []byte
	start, n int
	// col is the column the next byte goes to; tok is put's scratch.
	col int
	tok []byte
}

// put appends sep and word, sep made a line break if the word would pass
// lineWidth, and reports whether they fitted before the file's last byte.
func (t *text) put(sep string, word []byte) bool {
	t.tok = t.tok[:0]
	if t.col > 0 && t.col+len(sep)+len(word) > lineWidth && !strings.Contains(sep, "\n") {
		sep = strings.TrimRight(sep, " ") + "\n"
	}
	t.tok = append(t.tok, sep...)
	t.tok = append(t.tok, word...)
	if len(t.buf)-t.start+len(t.tok) > t.n-1 {
		return false
	}
	t.buf = append(t.buf, t.tok...)
	if nl := bytes.LastIndexByte(t.tok, '\n'); nl >= 0 {
		t.col = len(t.tok) - nl - 1
	} else {
		t.col += len(t.tok)
	}
	return true
}

// pad fills the text up to n bytes with spaces and a final newline, and
// returns the buffer.
func (t *text) pad() []byte {
	for len(t.buf)-t.start < t.n-1 {
		t.buf = append(t.buf, ' ')
	}
	if len(t.buf)-t.start < t.n {
		t.buf = append(t.buf, '\n')
	}
	return t.buf
}

// appendCapitalized appends w with its first letter upper-cased.
func appendCapitalized(buf, w []byte) []byte {
	r, size := utf8.DecodeRune(w)
	buf = utf8.AppendRune(buf, unicode.ToUpper(r))
	return append(buf, w[size:]...)
}
