// Package gensort generates the sort benchmark's ASCII records (the layout
// of package sortrec, what `gensort -a` writes), seeded and deterministic:
// the same Config gives the same bytes on every machine and Go version.
//
// Record i of a generation depends only on the Config and i: its number
// is i, and its key and filler come from splitmix64's output function
// applied to a per-stream base plus i times the golden-ratio increment, so
// any range of records is made without making the ones before it. Files
// of one generation hold consecutive ranges of record numbers (Split), so
// record numbers are unique across all of them, and the files can be
// written in parallel.
//
// A uniform key is 10 independent characters in ' '..'~', the first 8
// from one 64-bit word by repeated division by 95 (95^8 < 2^64), the last
// 2 from a second; the filler is the low 52 bits of a third word as 13
// hex digits, each written 4 times, like gensort's. Under Zipf a record
// draws a rank, and the rank's key is made the same way from the rank's
// own words, so hot keys lie anywhere in the key space. The bytes are not
// those of the real gensort, whose generator this package does not
// reproduce, but the layout is, so its valsort accepts them.
//
// Generating takes one chunk of chunkRecords records of memory per file
// being written, whatever the size.
package gensort

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"6.5840/mr/atomicfile"
	"6.5840/mr/bench/sortrec"
	"6.5840/mr/bench/zipf"
)

const (
	// chunkRecords is how many records are made before each write.
	chunkRecords = 1 << 13
	// printableCount is the number of characters a key byte takes.
	printableCount = '~' - ' ' + 1
	// headKeyBytes is how many key bytes come from a record's first word;
	// the rest come from its second.
	headKeyBytes = 8
	// golden is splitmix64's increment, 2^64 divided by the golden ratio.
	golden = 0x9e3779b97f4a7c15
	// hexDigits is where hex digits come from: uppercase, as gensort's.
	hexDigits = "0123456789ABCDEF"
	// digitBits is the width of a hex digit.
	digitBits = 4
	// ones32 has a 1 in each byte of a 32-bit word.
	ones32 = 0x01010101
)

// stream names one sequence of words drawn from the seed.
type stream int

// The streams: a uniform key's two words, the filler's word, a Zipf
// record's draw, a Zipf rank's two key words, the hot key's two words.
const (
	keyHead stream = iota
	keyTail
	filler
	zipfDraw
	rankHead
	rankTail
	hotHead
	hotTail
	numStreams
)

// Generator makes the records of one Config. It is read-only once made,
// so safe for concurrent use.
type Generator struct {
	cfg   Config
	base  [numStreams]uint64
	ranks *zipf.Table           // the Zipf ranks, for Zipf
	hot   [sortrec.KeySize]byte // the hot key, for OneKey
}

// New returns the Generator of c, or an error naming a bad field.
func New(c Config) (*Generator, error) {
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: c}
	for s := range g.base {
		g.base[s] = mix(c.Seed ^ mix(uint64(s)+1))
	}
	switch c.Keys {
	case Zipf:
		t, err := zipf.New(c.ZipfKeys)
		if err != nil {
			return nil, fmt.Errorf("gensort: %w", err)
		}
		g.ranks = t
	case OneKey:
		putKey(g.hot[:], g.word(hotHead, 0), g.word(hotTail, 0))
	}
	return g, nil
}

// Config returns the generator's Config, defaults filled in.
func (g *Generator) Config() Config { return g.cfg }

// mix is splitmix64's output function: a bijection of 64-bit words whose
// every output bit depends on every input bit.
func mix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// word returns word i of stream s.
func (g *Generator) word(s stream, i uint64) uint64 { return mix(g.base[s] + i*golden) }

// putKey writes the key made from words head and tail to key.
func putKey(key []byte, head, tail uint64) {
	for j := range headKeyBytes {
		key[j] = ' ' + byte(head%printableCount)
		head /= printableCount
	}
	for j := headKeyBytes; j < sortrec.KeySize; j++ {
		key[j] = ' ' + byte(tail%printableCount)
		tail /= printableCount
	}
}

// isHot reports whether record i holds the hot key under OneKey: exactly
// floor(n*HotPercent/100) of records 0..n-1 do, evenly spaced.
func (g *Generator) isHot(i int64) bool {
	p := int64(g.cfg.HotPercent)
	return (i+1)*p/percent > i*p/percent
}

// putRecordKey writes record i's key to key.
func (g *Generator) putRecordKey(key []byte, i int64) {
	switch {
	case g.cfg.Keys == Zipf:
		r := uint64(g.ranks.Rank(g.word(zipfDraw, uint64(i))))
		putKey(key, g.word(rankHead, r), g.word(rankTail, r))
	case g.cfg.Keys == OneKey && g.isHot(i):
		copy(key, g.hot[:])
	default:
		putKey(key, g.word(keyHead, uint64(i)), g.word(keyTail, uint64(i)))
	}
}

// template is a record with the bytes every record shares: the spaces,
// the record number's top digits (zero: numbers are below 2^63) and the
// "\r\n". fill writes the rest.
var template = func() (rec [sortrec.Size]byte) {
	for i := range rec {
		rec[i] = ' '
	}
	for i := range sortrec.NumberDigits {
		rec[sortrec.NumberOffset+i] = '0'
	}
	copy(rec[sortrec.EndOffset:], sortrec.End)
	return rec
}()

// Record writes record i of the generation to rec, which must hold
// sortrec.Size bytes; i must be in [0, MaxRecords].
func (g *Generator) Record(rec []byte, i int64) {
	copy(rec[:sortrec.Size], template[:])
	g.fill(rec, i)
}

// fill writes the parts of record i that differ between records to rec,
// which holds the template's bytes.
func (g *Generator) fill(rec []byte, i int64) {
	g.putRecordKey(rec[:sortrec.KeySize], i)
	// The low 16 of the 32 digits: the number in hex.
	num := rec[sortrec.NumberOffset+sortrec.NumberDigits/2 : sortrec.NumberOffset+sortrec.NumberDigits]
	for j := range num {
		num[j] = hexDigits[uint64(i)>>(digitBits*(len(num)-1-j))&0xF]
	}
	f := g.word(filler, uint64(i))
	for j := range sortrec.FillerDigits {
		d := hexDigits[f>>(digitBits*(sortrec.FillerDigits-1-j))&0xF]
		binary.LittleEndian.PutUint32(rec[sortrec.FillerOffset+sortrec.FillerRepeat*j:], uint32(d)*ones32)
	}
}

// Range is a run of consecutive records: numbers First to First+Count-1.
type Range struct {
	First, Count int64
}

// Split cuts records into parts consecutive ranges, in order, of sizes
// that differ by at most one (the first ranges get the extra records).
// parts must be at least 1.
func Split(records int64, parts int) []Range {
	ranges := make([]Range, parts)
	each, extra := records/int64(parts), records%int64(parts)
	first := int64(0)
	for i := range ranges {
		n := each
		if int64(i) < extra {
			n++
		}
		ranges[i] = Range{First: first, Count: n}
		first += n
	}
	return ranges
}

// WriteRange writes the records of r to w, which must lie within the
// generation's records, a chunk at a time.
func (g *Generator) WriteRange(w io.Writer, r Range) error {
	if r.First < 0 || r.Count < 0 || r.First+r.Count > g.cfg.Records {
		return fmt.Errorf("gensort: %d records from record %d: outside the generation's %d records", r.Count, r.First, g.cfg.Records)
	}
	buf := make([]byte, min(r.Count, chunkRecords)*sortrec.Size)
	for off := 0; off < len(buf); off += sortrec.Size {
		copy(buf[off:], template[:])
	}
	for done := int64(0); done < r.Count; {
		n := min(r.Count-done, chunkRecords)
		for k := range n {
			g.fill(buf[k*sortrec.Size:], r.First+done+k)
		}
		if _, err := w.Write(buf[:n*sortrec.Size]); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// WriteFiles writes the whole generation to paths, Split across them in
// order: file j holds the j-th range. Each file appears whole or not at
// all (package atomicfile), synced to disk. Files are written in parallel,
// up to GOMAXPROCS at once. Errors name the file.
func (g *Generator) WriteFiles(paths []string) error {
	if len(paths) == 0 {
		return errors.New("gensort: no files to write")
	}
	ranges := Split(g.cfg.Records, len(paths))
	errs := make([]error, len(paths))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(paths)) {
		wg.Go(func() {
			for j := range next {
				errs[j] = g.writeFile(paths[j], ranges[j])
			}
		})
	}
	for j := range paths {
		next <- j
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// writeFile writes the records of r to the file path.
func (g *Generator) writeFile(path string, r Range) error {
	f, err := atomicfile.Create(path, atomicfile.Durable, ".")
	if err != nil {
		return fmt.Errorf("gensort: %w", err)
	}
	defer f.Abort()
	if err := g.WriteRange(f, r); err != nil {
		return fmt.Errorf("gensort: write %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("gensort: %w", err)
	}
	return nil
}
