package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func readCorpus(t *testing.T, dir string, s Spec) [][]byte {
	var out [][]byte
	for _, p := range s.Paths(dir) {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		out = append(out, data)
	}
	return out
}

func TestCorpusDeterministic(t *testing.T) {
	s, err := NewSpec(300<<10, 4, 7)
	require.NoError(t, err)
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, Generate(a, s))
	require.NoError(t, Generate(b, s))
	fa, fb := readCorpus(t, a, s), readCorpus(t, b, s)
	require.Len(t, fa, 4)
	var total int64
	for i := range fa {
		require.True(t, bytes.Equal(fa[i], fb[i]), "file %d differs between two runs with the same seed", i)
		total += int64(len(fa[i]))
	}
	// The total is within a few percent of the request (in fact exact).
	require.InDelta(t, float64(s.Size), float64(total), 0.03*float64(s.Size))
	require.Equal(t, s.Size, total)
	require.False(t, bytes.Equal(fa[0], fa[1]), "files of one corpus should differ")

	other, err := NewSpec(300<<10, 4, 8)
	require.NoError(t, err)
	c := t.TempDir()
	require.NoError(t, Generate(c, other))
	require.False(t, bytes.Equal(fa[0], readCorpus(t, c, other)[0]), "another seed should give other text")
}

func TestCorpusLooksLikeText(t *testing.T) {
	s, err := NewSpec(1<<20, 2, 1)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, Generate(dir, s))
	counts := map[string]int{}
	words := 0
	for _, data := range readCorpus(t, dir, s) {
		require.True(t, utf8.Valid(data))
		for _, line := range strings.Split(string(data), "\n") {
			require.LessOrEqual(t, utf8.RuneCountInString(line), lineWidth+20, "line too long: %q", line)
		}
		for _, w := range strings.FieldsFunc(string(data), func(r rune) bool { return !unicode.IsLetter(r) }) {
			counts[w]++
			words++
		}
	}
	// Zipf-like: a few very frequent words, a long tail.
	top := 0
	once := 0
	for _, c := range counts {
		top = max(top, c)
		if c == 1 {
			once++
		}
	}
	require.Greater(t, words, 100000)
	require.Greater(t, len(counts), 10000, "distinct words")
	require.Greater(t, float64(top), 0.03*float64(words), "the most frequent word")
	require.Less(t, float64(top), 0.2*float64(words), "the most frequent word")
	require.Greater(t, once, 1000, "words seen once")
}

func TestCorpusSizes(t *testing.T) {
	for _, tc := range []struct {
		size  int64
		files int
	}{{1000, 32}, {32, 32}, {1, 1}, {100003, 3}} {
		s, err := NewSpec(tc.size, tc.files, 1)
		require.NoError(t, err)
		dir := t.TempDir()
		require.NoError(t, Generate(dir, s))
		var total int64
		for i, p := range s.Paths(dir) {
			fi, err := os.Stat(p)
			require.NoError(t, err)
			require.Equal(t, s.fileSizes()[i], fi.Size())
			total += fi.Size()
		}
		require.Equal(t, tc.size, total)
	}
	_, err := NewSpec(10, 32, 1)
	require.Error(t, err)
	_, err = NewSpec(100, 0, 1)
	require.Error(t, err)
}

func TestCorpusCache(t *testing.T) {
	s, err := NewSpec(64<<10, 3, 1)
	require.NoError(t, err)
	dir := t.TempDir()
	require.False(t, s.Cached(dir))
	generated, err := Ensure(dir, s)
	require.NoError(t, err)
	require.True(t, generated)
	require.True(t, s.Cached(dir))
	generated, err = Ensure(dir, s)
	require.NoError(t, err)
	require.False(t, generated)

	// Another seed, a truncated file or a stray corpus file: regenerate.
	s2 := s
	s2.Seed = 2
	require.False(t, s2.Cached(dir))
	require.NoError(t, os.Truncate(filepath.Join(dir, FileName(1)), 10))
	require.False(t, s.Cached(dir))
	generated, err = Ensure(dir, s)
	require.NoError(t, err)
	require.True(t, generated)
	require.NoError(t, os.WriteFile(filepath.Join(dir, FileName(3)), nil, 0o644))
	require.False(t, s.Cached(dir))
	_, err = Ensure(dir, s)
	require.NoError(t, err)
	require.True(t, s.Cached(dir))
	_, err = os.Stat(filepath.Join(dir, FileName(3)))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestWriteTiny(t *testing.T) {
	a, err := WriteTiny(t.TempDir(), 50, 1)
	require.NoError(t, err)
	b, err := WriteTiny(t.TempDir(), 50, 1)
	require.NoError(t, err)
	require.Len(t, a, 50)
	for i := range a {
		da, err := os.ReadFile(a[i])
		require.NoError(t, err)
		db, err := os.ReadFile(b[i])
		require.NoError(t, err)
		require.Equal(t, da, db)
		n := len(strings.Fields(string(da)))
		require.True(t, n >= 2 && n <= 8, "%q", da)
	}
}

func TestZipfInRange(t *testing.T) {
	g := newGenerator(3)
	r := newRNG(3, 99)
	hits := make([]int, vocabSize)
	for range 200000 {
		k := g.zipf(&r)
		require.True(t, k >= 0 && k < vocabSize)
		hits[k]++
	}
	// Rank 0 about twice as frequent as rank 1, ten times rank 9.
	require.InDelta(t, 2.0, float64(hits[0])/float64(hits[1]), 0.2)
	require.InDelta(t, 10.0, float64(hits[0])/float64(hits[9]), 1.5)
}
