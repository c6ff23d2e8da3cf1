package gensort

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/bench/sortrec"
	"6.5840/mr/bench/zipf"
)

// generate returns all records of c.
func generate(t testing.TB, c Config) []byte {
	t.Helper()
	g, err := New(c)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, g.WriteRange(&buf, Range{Count: c.Records}))
	require.Equal(t, int(c.Records)*sortrec.Size, buf.Len())
	return buf.Bytes()
}

// keyCounts counts the records of each key in data.
func keyCounts(data []byte) map[string]int {
	counts := make(map[string]int)
	for off := 0; off < len(data); off += sortrec.Size {
		counts[string(data[off:off+sortrec.KeySize])]++
	}
	return counts
}

func TestDeterministic(t *testing.T) {
	for _, keys := range []Distribution{Uniform, Zipf, OneKey} {
		c := Config{Records: 3*chunkRecords + 17, Seed: 42, Keys: keys}
		a, b := generate(t, c), generate(t, c)
		require.Equal(t, sha256.Sum256(a), sha256.Sum256(b), "%v: two runs differ", keys)
		c.Seed = 43
		require.NotEqual(t, sha256.Sum256(a), sha256.Sum256(generate(t, c)), "%v: seeds 42 and 43 agree", keys)
	}
}

// TestFixedOutput pins the bytes of a generation: a change to them is a
// change of format that cached data sets must notice.
func TestFixedOutput(t *testing.T) {
	want := []string{
		Uniform: "a28bbd390fe4728d80e4020866f95e159d65e014181c13a196ffd73e0aca4c69",
		Zipf:    "2147fd1815a7d2d23386e71760b3fccbe38961d26b8f9574832a6fc670c5b510",
		OneKey:  "7a1604dfa756c63309eb161eb3af2677f6d256a708cf8841e834fcb543fe56f0",
	}
	for keys, sum := range want {
		data := generate(t, Config{Records: 1000, Seed: 1, Keys: Distribution(keys)})
		require.Equal(t, sum, fmt.Sprintf("%x", sha256.Sum256(data)), "%v", Distribution(keys))
	}
}

func TestRangesAreIndependent(t *testing.T) {
	c := Config{Records: chunkRecords + 100, Seed: 7, Keys: Zipf}
	all := generate(t, c)
	g, err := New(c)
	require.NoError(t, err)
	var parts bytes.Buffer
	for _, r := range []Range{{0, 5}, {5, chunkRecords}, {chunkRecords + 5, 95}} {
		require.NoError(t, g.WriteRange(&parts, r))
	}
	require.Equal(t, all, parts.Bytes())
	rec := make([]byte, sortrec.Size)
	g.Record(rec, 1234)
	require.Equal(t, all[1234*sortrec.Size:1235*sortrec.Size], rec)
}

func TestLayout(t *testing.T) {
	data := generate(t, Config{Records: chunkRecords + 100, Seed: 3})
	for i := 0; i*sortrec.Size < len(data); i++ {
		if err := layoutError(data[i*sortrec.Size:(i+1)*sortrec.Size], i); err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
	}
}

// layoutError says how rec, record number i, departs from gensort -a's
// layout.
func layoutError(rec []byte, i int) error {
	if err := sortrec.Check(rec); err != nil {
		return err
	}
	if string(rec[10:12]) != "  " || string(rec[44:46]) != "  " {
		return fmt.Errorf("no two spaces at 10 and 44: %q", rec)
	}
	if got, want := string(rec[12:44]), fmt.Sprintf("%032X", i); got != want {
		return fmt.Errorf("record number %q; want %q", got, want)
	}
	for j := range sortrec.FillerDigits {
		group := rec[46+4*j : 50+4*j]
		if !bytes.Equal(group, bytes.Repeat(group[:1], 4)) || !strings.Contains("0123456789ABCDEF", string(group[:1])) {
			return fmt.Errorf("filler digit %d is %q, not an uppercase hex digit 4 times", j, group)
		}
	}
	if string(rec[98:]) != "\r\n" {
		return fmt.Errorf("ends in %q", rec[98:])
	}
	return nil
}

// TestUniformKeys checks that every key position uses the printable
// characters about equally and that keys do not repeat.
func TestUniformKeys(t *testing.T) {
	const n = 95 * 400
	data := generate(t, Config{Records: n, Seed: 5})
	for pos := range sortrec.KeySize {
		var counts [printableCount]int
		for off := pos; off < len(data); off += sortrec.Size {
			counts[data[off]-' ']++
		}
		for c, got := range counts {
			// 400 expected; 5 standard deviations is 100.
			require.InDelta(t, n/printableCount, got, 100, "key byte %d, character %q", pos, rune(' '+c))
		}
	}
	require.Len(t, keyCounts(data), n, "uniform keys repeat")
}

// topShare returns the share of the records held by the most frequent key
// and the number of distinct keys.
func topShare(data []byte) (float64, int) {
	counts := keyCounts(data)
	top := 0
	for _, n := range counts {
		top = max(top, n)
	}
	return float64(top) / float64(len(data)/sortrec.Size), len(counts)
}

func TestZipfKeysAreSkewed(t *testing.T) {
	const n = 100000
	for _, keys := range []int{1000, DefaultZipfKeys} {
		data := generate(t, Config{Records: n, Seed: 9, Keys: Zipf, ZipfKeys: keys})
		tab, err := zipf.New(keys)
		require.NoError(t, err)
		share, distinct := topShare(data)
		t.Logf("%d Zipf keys: top key holds %.2f%% of %d records; %d distinct keys", keys, 100*share, n, distinct)
		require.InDelta(t, tab.Share(0), share, 0.005, "top key's share")
		require.LessOrEqual(t, distinct, keys)
		// Uniform keys of the same count: the top key is one record.
		uniformShare, _ := topShare(generate(t, Config{Records: n, Seed: 9}))
		require.Less(t, uniformShare*100, share)
	}
}

func TestOneKey(t *testing.T) {
	for _, pct := range []int{0, 30, 99} {
		const n = 10001
		data := generate(t, Config{Records: n, Seed: 11, Keys: OneKey, HotPercent: pct})
		want := pct
		if want == 0 {
			want = DefaultHotPercent
		}
		counts := keyCounts(data)
		top := 0
		for _, c := range counts {
			top = max(top, c)
		}
		require.Equal(t, n*want/100, top, "hot key count at %d%%", pct)
		require.Len(t, counts, n-top+1, "the other keys should be distinct")
	}
}

func TestSplit(t *testing.T) {
	require.Equal(t, []Range{{0, 4}, {4, 3}, {7, 3}}, Split(10, 3))
	require.Equal(t, []Range{{0, 1}, {1, 0}, {1, 0}}, Split(1, 3))
	require.Equal(t, []Range{{0, 10}}, Split(10, 1))
}

func TestWriteFiles(t *testing.T) {
	dir := t.TempDir()
	c := Config{Records: 1000, Seed: 13, Keys: Zipf, ZipfKeys: 50}
	g, err := New(c)
	require.NoError(t, err)
	var paths []string
	for j := range 7 {
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("in-%d", j)))
	}
	require.NoError(t, g.WriteFiles(paths))
	var joined []byte
	for j, p := range paths {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		require.Len(t, data, int(Split(c.Records, len(paths))[j].Count)*sortrec.Size, p)
		joined = append(joined, data...)
	}
	require.Equal(t, generate(t, c), joined)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, len(paths), "temporary files left behind")

	require.ErrorContains(t, g.WriteFiles(nil), "no files")
	err = g.WriteFiles([]string{filepath.Join(dir, "missing", "in-0")})
	require.ErrorContains(t, err, "missing")
}

func TestBadConfigs(t *testing.T) {
	tests := []struct {
		c    Config
		want string
	}{
		{Config{Records: -1}, "-1 records"},
		{Config{Records: MaxRecords + 1}, "records"},
		{Config{Keys: 7}, "distribution 7"},
		{Config{Keys: Zipf, ZipfKeys: -1}, "Zipf keys"},
		{Config{Keys: Zipf, ZipfKeys: zipf.MaxRanks + 1}, "Zipf keys"},
		{Config{Keys: OneKey, HotPercent: 100}, "hot key in 100%"},
		{Config{Keys: OneKey, HotPercent: -5}, "hot key in -5%"},
	}
	for _, tt := range tests {
		_, err := New(tt.c)
		require.ErrorContains(t, err, tt.want, "%+v", tt.c)
	}
	g, err := New(Config{Records: 10})
	require.NoError(t, err)
	require.ErrorContains(t, g.WriteRange(&bytes.Buffer{}, Range{First: 5, Count: 6}), "6 records from record 5: outside the generation's 10 records")
	require.ErrorContains(t, g.WriteRange(&bytes.Buffer{}, Range{First: -1, Count: 1}), "outside")
}

func TestParseDistribution(t *testing.T) {
	for _, d := range []Distribution{Uniform, Zipf, OneKey} {
		got, err := ParseDistribution(d.String())
		require.NoError(t, err)
		require.Equal(t, d, got)
	}
	_, err := ParseDistribution("gaussian")
	require.ErrorContains(t, err, `"gaussian"`)
	require.Equal(t, "Distribution(9)", Distribution(9).String())
}

func BenchmarkWriteRange(b *testing.B) {
	const records = 1 << 17
	for _, keys := range []Distribution{Uniform, Zipf, OneKey} {
		b.Run(keys.String(), func(b *testing.B) {
			g, err := New(Config{Records: records, Keys: keys})
			require.NoError(b, err)
			b.SetBytes(records * sortrec.Size)
			for b.Loop() {
				if err := g.WriteRange(io.Discard, Range{Count: records}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
