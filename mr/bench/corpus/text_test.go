package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeTexts writes two small source texts to a new folder.
func writeTexts(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pg-a.txt"), []byte("The first line.\nA second, longer line of text!\n\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pg-b.txt"), []byte("\"Quoted,\" she said.\nno newline at the end"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "other.txt"), []byte("NOT A SOURCE\n"), 0o644))
	return dir
}

func TestTextCorpusDrawsLinesOfTheTexts(t *testing.T) {
	texts := writeTexts(t)
	s, err := NewTextSpec(40<<10, 3, 5, texts)
	require.NoError(t, err)
	a, b := t.TempDir(), t.TempDir()
	require.NoError(t, Generate(a, s))
	require.NoError(t, Generate(b, s))
	fa, fb := readCorpus(t, a, s), readCorpus(t, b, s)
	sources := map[string]bool{"The first line.": true, "A second, longer line of text!": true, "": true,
		`"Quoted," she said.`: true, "no newline at the end": true}
	seen := map[string]bool{}
	for i := range fa {
		require.True(t, bytes.Equal(fa[i], fb[i]), "file %d differs between two runs with the same seed", i)
		require.Len(t, fa[i], int(s.fileSizes()[i]))
		// Every line is a source line (a text's last one given a
		// newline); the file's last line may be cut.
		lines := strings.Split(string(fa[i]), "\n")
		for _, line := range lines[:len(lines)-1] {
			require.True(t, sources[line], "file %d has a line not from the texts: %q", i, line)
			seen[line] = true
		}
		require.NotContains(t, string(fa[i]), "NOT A SOURCE")
	}
	require.Len(t, seen, len(sources), "every line is drawn")
	require.False(t, bytes.Equal(fa[0], fa[1]), "files of one corpus should differ")

	other, err := NewTextSpec(40<<10, 3, 6, texts)
	require.NoError(t, err)
	c := t.TempDir()
	require.NoError(t, Generate(c, other))
	require.False(t, bytes.Equal(fa[0], readCorpus(t, c, other)[0]), "another seed should give other text")
}

func TestTextCorpusCacheFollowsTheTexts(t *testing.T) {
	texts := writeTexts(t)
	s, err := NewTextSpec(8<<10, 2, 1, texts)
	require.NoError(t, err)
	dir := t.TempDir()
	generated, err := Ensure(dir, s)
	require.NoError(t, err)
	require.True(t, generated)
	require.True(t, s.Cached(dir))

	zipf, err := NewSpec(8<<10, 2, 1)
	require.NoError(t, err)
	require.False(t, zipf.Cached(dir), "a zipf corpus of the same size and seed is another corpus")

	// Changed texts make another corpus, and a spec made before the
	// change is refused rather than generating something else.
	require.NoError(t, os.WriteFile(filepath.Join(texts, "pg-c.txt"), []byte("new text\n"), 0o644))
	changed, err := NewTextSpec(8<<10, 2, 1, texts)
	require.NoError(t, err)
	require.NotEqual(t, s.TextDigest, changed.TextDigest)
	require.False(t, changed.Cached(dir))
	require.ErrorContains(t, Generate(t.TempDir(), s), "changed")
}

func TestTextCorpusNeedsTexts(t *testing.T) {
	_, err := NewTextSpec(1<<10, 1, 1, t.TempDir())
	require.ErrorContains(t, err, "no texts pg-*.txt in")
	require.ErrorContains(t, err, "-text-dir")
}
