package main

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/require"

	"6.5840/mr/app/apptest"
)

// fields is the definition of a word that Map must follow.
func fields(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	if len(f) == 0 {
		return nil
	}
	return f
}

func mapKeys(t *testing.T, contents string) []string {
	var keys []string
	for _, kv := range Map("f", contents) {
		require.Equal(t, "1", kv.Value)
		keys = append(keys, kv.Key)
	}
	return keys
}

// emitKeys returns the keys MapEmit emits for contents.
func emitKeys(t *testing.T, contents string) []string {
	var keys []string
	MapEmit("f", contents, func(key, value string) {
		require.Equal(t, "1", value)
		keys = append(keys, key)
	})
	return keys
}

func TestMapSplitsLikeFieldsFunc(t *testing.T) {
	for _, s := range []string{
		"", "a", "  ", "Hello, world!", "don't stop-me now", "naïve café Ωmega", "日本語 テキスト",
		"x\xffy", "\xe2\x82", "end with letter", "tab\tand\nnewline", "12abc34def",
	} {
		require.Equal(t, fields(s), mapKeys(t, s), "Map %q", s)
		require.Equal(t, fields(s), emitKeys(t, s), "MapEmit %q", s)
	}
}

func FuzzMapSplitsLikeFieldsFunc(f *testing.F) {
	f.Add("naïve café, x\xffy")
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, fields(s), mapKeys(t, s))
		require.Equal(t, fields(s), emitKeys(t, s))
	})
}

func TestCombineThenReduceEqualsReduce(t *testing.T) {
	values := []string{"1", "1", "1", "1", "1"}
	combined := []string{Combine("k", values[:2]), Combine("k", values[2:])}
	require.Equal(t, Reduce("k", values), Reduce("k", combined))
	require.Equal(t, "5", Reduce("k", values))
}

// BenchmarkMap measures the application's Map alone over the testdata
// texts, for comparison with the engine's share of a job.
func BenchmarkMap(b *testing.B) {
	contents := apptest.Corpus(b)
	b.Run("Map", func(b *testing.B) {
		b.SetBytes(int64(len(contents)))
		for b.Loop() {
			Map("bench", contents)
		}
	})
	b.Run("MapEmit", func(b *testing.B) {
		b.SetBytes(int64(len(contents)))
		n := 0
		for b.Loop() {
			MapEmit("bench", contents, func(string, string) { n++ })
		}
	})
}
