// Package baseline is the no-framework baseline for the word-count
// benchmark: what this machine can do for that work with a plain parallel
// program, no coordinator, no intermediate files, no sorting.
//
// WordCount counts exactly what mrapps/wc counts: a word is a maximal run of
// runes for which unicode.IsLetter is true, as split by
//
//	strings.FieldsFunc(contents, func(r rune) bool { return !unicode.IsLetter(r) })
//
// Invalid UTF-8 decodes to utf8.RuneError, one byte at a time, which is not
// a letter, exactly as in strings.FieldsFunc.
package baseline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"unicode"
	"unicode/utf8"
)

// chunkSize is the nominal size of one unit of work: a large file is split
// into ranges of about this size so that all goroutines stay busy even when
// there are fewer files than CPUs. A variable so that tests can shrink it.
var chunkSize int64 = 4 << 20

// initialTableSize is the first capacity of a worker's table of words.
const initialTableSize = 1 << 14

// byte classes of the scanner.
const (
	clsSep    = iota // ASCII, not a letter
	clsLetter        // ASCII letter
	clsMulti         // first or later byte of a multi-byte sequence (or invalid)
)

var class [256]uint8

func init() {
	for b := range 256 {
		switch {
		case b >= utf8.RuneSelf:
			class[b] = clsMulti
		case unicode.IsLetter(rune(b)):
			class[b] = clsLetter
		default:
			class[b] = clsSep
		}
	}
}

// piece is one unit of work: the bytes [off, off+n) of file, before the
// boundaries are moved to safe split points.
type piece struct {
	file   int
	off, n int64
	size   int64 // of the whole file
}

// WordCount counts the words of the files at paths with workers goroutines
// (runtime.NumCPU() if workers <= 0) and returns word -> occurrences.
func WordCount(paths []string, workers int) (map[string]int, error) {
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	pieces, err := split(paths)
	if err != nil {
		return nil, err
	}
	tables, err := countPieces(paths, pieces, max(1, min(workers, len(pieces))))
	if err != nil {
		return nil, err
	}
	// Merge into the largest table's key set, then build the map once.
	n := 0
	for _, t := range tables {
		n = max(n, t.used)
	}
	out := make(map[string]int, n)
	for _, t := range tables {
		t.each(func(word []byte, c int) { out[string(word)] += c })
	}
	return out, nil
}

// split cuts the files at paths into pieces of about chunkSize.
func split(paths []string) ([]piece, error) {
	var pieces []piece
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", p)
		}
		size := fi.Size()
		for off := int64(0); off < size; off += chunkSize {
			pieces = append(pieces, piece{file: i, off: off, n: min(chunkSize, size-off), size: size})
		}
	}
	return pieces, nil
}

// countPieces counts the words of the pieces with workers goroutines, each
// into a table of its own, and returns the tables.
func countPieces(paths []string, pieces []piece, workers int) ([]*table, error) {
	work := make(chan piece, len(pieces))
	for _, p := range pieces {
		work <- p
	}
	close(work)

	tables := make([]*table, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := newTable(initialTableSize)
			tables[w] = t
			var buf []byte
			for p := range work {
				if errs[w] != nil {
					continue // drain
				}
				var err error
				buf, err = readPiece(paths[p.file], p, buf)
				if err != nil {
					errs[w] = err
					continue
				}
				t.count(buf)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return tables, nil
}

// readPiece reads piece p of the file at path into buf (reusing its
// storage) with both ends moved forward to safe split points, and returns
// the bytes.
func readPiece(path string, p piece, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return buf[:0], err
	}
	defer f.Close()
	start, end := int64(0), p.size
	if p.off > 0 {
		if start, err = splitPoint(f, p.off, p.size); err != nil {
			return buf[:0], fmt.Errorf("%s: %w", path, err)
		}
	}
	if p.off+p.n < p.size {
		if end, err = splitPoint(f, p.off+p.n, p.size); err != nil {
			return buf[:0], fmt.Errorf("%s: %w", path, err)
		}
	}
	if start >= end {
		return buf[:0], nil // one word spans the whole piece: a neighbour counts it
	}
	n := int(end - start)
	if cap(buf) < n {
		buf = make([]byte, n, n+n/8)
	}
	buf = buf[:n]
	if _, err := f.ReadAt(buf, start); err != nil {
		return buf[:0], fmt.Errorf("%s: %w", path, err)
	}
	return buf, nil
}

// splitPoint returns the offset of the first ASCII non-letter byte at or
// after off, or size if there is none. Splitting a file right before such a
// byte splits no word and no rune: an ASCII byte is never part of a
// multi-byte sequence, and it decodes as itself whatever precedes it.
func splitPoint(f *os.File, off, size int64) (int64, error) {
	var b [4096]byte
	for off < size {
		n, err := f.ReadAt(b[:min(int64(len(b)), size-off)], off)
		for i := range n {
			if class[b[i]] == clsSep {
				return off + int64(i), nil
			}
		}
		off += int64(n)
		if err != nil && err != io.EOF {
			return 0, err
		}
		if n == 0 {
			break
		}
	}
	return size, nil
}

// table is an open-addressing hash table from word to count that never
// allocates per occurrence: words are copied once into an arena.
type table struct {
	slots []slot // len is a power of two
	mask  uint64
	used  int
	arena []byte
}

type slot struct {
	hash  uint64 // 0: empty
	off   uint32 // word is arena[off : off+n]
	n     uint32
	count int
}

func newTable(size int) *table {
	return &table{slots: make([]slot, size), mask: uint64(size - 1), arena: make([]byte, 0, 1<<16)}
}

// FNV-1a, 64 bit.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// count adds the words of buf.
func (t *table) count(buf []byte) {
	n := len(buf)
	i := 0
	for i < n {
		// Between words.
		b := buf[i]
		switch class[b] {
		case clsSep:
			i++
			continue
		case clsMulti:
			r, size := utf8.DecodeRune(buf[i:])
			if !unicode.IsLetter(r) {
				i += size
				continue
			}
		}
		// A word starts at i.
		start := i
		h := uint64(fnvOffset)
	word:
		for i < n {
			b := buf[i]
			switch class[b] {
			case clsLetter:
				h = (h ^ uint64(b)) * fnvPrime
				i++
			case clsSep:
				break word
			default:
				r, size := utf8.DecodeRune(buf[i:])
				if !unicode.IsLetter(r) {
					break word
				}
				for _, c := range buf[i : i+size] {
					h = (h ^ uint64(c)) * fnvPrime
				}
				i += size
			}
		}
		t.add(buf[start:i], h)
	}
}

// add counts one occurrence of word, whose FNV-1a hash is h.
func (t *table) add(word []byte, h uint64) {
	if h == 0 {
		h = 1
	}
	for j := h & t.mask; ; j = (j + 1) & t.mask {
		s := &t.slots[j]
		if s.hash == h && string(t.arena[s.off:s.off+s.n]) == string(word) {
			s.count++
			return
		}
		if s.hash == 0 {
			if len(t.arena)+len(word) > 1<<32-1 {
				panic("baseline: word arena over 4 GiB")
			}
			*s = slot{hash: h, off: uint32(len(t.arena)), n: uint32(len(word)), count: 1}
			t.arena = append(t.arena, word...)
			t.used++
			if t.used*4 > len(t.slots)*3 {
				t.grow()
			}
			return
		}
	}
}

// grow doubles the table.
func (t *table) grow() {
	old := t.slots
	t.slots = make([]slot, 2*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.hash == 0 {
			continue
		}
		j := s.hash & t.mask
		for t.slots[j].hash != 0 {
			j = (j + 1) & t.mask
		}
		t.slots[j] = s
	}
}

// each calls fn for every word and its count.
func (t *table) each(fn func(word []byte, count int)) {
	for _, s := range t.slots {
		if s.hash != 0 {
			fn(t.arena[s.off:s.off+s.n], s.count)
		}
	}
}
