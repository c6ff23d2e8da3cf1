package baseline

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"
)

// reference is how mrapps/wc splits words.
func reference(contents ...string) map[string]int {
	m := map[string]int{}
	for _, c := range contents {
		for _, w := range strings.FieldsFunc(c, func(r rune) bool { return !unicode.IsLetter(r) }) {
			m[w]++
		}
	}
	return m
}

func writeFiles(t testing.TB, contents ...string) []string {
	dir := t.TempDir()
	paths := make([]string, len(contents))
	for i, c := range contents {
		paths[i] = filepath.Join(dir, "in-"+string(rune('a'+i)))
		require.NoError(t, os.WriteFile(paths[i], []byte(c), 0o644))
	}
	return paths
}

func TestWordCountHandExample(t *testing.T) {
	paths := writeFiles(t,
		"The cat sat; the CAT sat.\nDon't stop-me now!",
		"",
		"café naïve 42cats cat\tcat\n",
		"--- 123 ...",
	)
	got, err := WordCount(paths, 3)
	require.NoError(t, err)
	want := map[string]int{
		"The": 1, "the": 1, "cat": 3, "CAT": 1, "sat": 2,
		"Don": 1, "t": 1, "stop": 1, "me": 1, "now": 1,
		"café": 1, "naïve": 1, "cats": 1,
	}
	require.Equal(t, want, got)
}

func TestWordCountMissingFile(t *testing.T) {
	_, err := WordCount([]string{filepath.Join(t.TempDir(), "missing")}, 2)
	require.ErrorContains(t, err, "missing")
}

func TestWordCountNoFiles(t *testing.T) {
	got, err := WordCount(nil, 2)
	require.NoError(t, err)
	require.Empty(t, got)
}

// TestWordCountMatchesFieldsFunc checks random text, with multi-byte
// letters and non-letters, invalid UTF-8 and long words, against
// strings.FieldsFunc, with files split into many small pieces.
func TestWordCountMatchesFieldsFunc(t *testing.T) {
	old := chunkSize
	t.Cleanup(func() { chunkSize = old })

	atoms := []string{
		"a", "b", "Z", "é", "ß", "Ω", "я", "中", "ǅ", // letters
		" ", "\n", ".", ",", "'", "-", "0", "9", "—", "€", "\u00a0", "😀", // not letters
		"\xff", "\xe2\x80", "\xc3", "\x80", // invalid UTF-8
		"anticonstitutionnellement",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 8 {
		var contents []string
		for range 1 + rng.IntN(4) {
			var sb strings.Builder
			for range rng.IntN(1500) {
				sb.WriteString(atoms[rng.IntN(len(atoms))])
			}
			contents = append(contents, sb.String())
		}
		paths := writeFiles(t, contents...)
		for _, cs := range []int64{3, 17, 256, 4 << 20} {
			chunkSize = cs
			got, err := WordCount(paths, 1+round%4)
			require.NoError(t, err)
			require.Equal(t, reference(contents...), got, "round %d chunk %d", round, cs)
		}
	}
}

// TestTableGrows counts enough distinct words to grow the table many times.
func TestTableGrows(t *testing.T) {
	var sb strings.Builder
	want := map[string]int{}
	for i := range 100000 {
		w := ""
		for n := i; ; n /= 26 {
			w += string(rune('a' + n%26))
			if n < 26 {
				break
			}
		}
		sb.WriteString(w + " " + w + "\n")
		want[w] += 2
	}
	got, err := WordCount(writeFiles(t, sb.String()), 2)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// BenchmarkWordCount counts the words of testdata/pg-*.txt.
func BenchmarkWordCount(b *testing.B) {
	paths, err := filepath.Glob("../../../testdata/pg-*.txt")
	require.NoError(b, err)
	require.NotEmpty(b, paths)
	var total int64
	for _, p := range paths {
		fi, err := os.Stat(p)
		require.NoError(b, err)
		total += fi.Size()
	}
	b.SetBytes(total)
	for b.Loop() {
		if _, err := WordCount(paths, 0); err != nil {
			b.Fatal(err)
		}
	}
}
