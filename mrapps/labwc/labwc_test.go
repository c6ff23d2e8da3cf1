package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/app/apptest"
)

func TestMapCountsEveryWord(t *testing.T) {
	kva := Map("in", "the cat, the hat; über 42 cat")
	var words []string
	for _, kv := range kva {
		require.Equal(t, "1", kv.Value)
		words = append(words, kv.Key)
	}
	require.Equal(t, []string{"the", "cat", "the", "hat", "über", "cat"}, words)
	require.Equal(t, "3", Reduce("cat", []string{"1", "1", "1"}))
}

// BenchmarkMap measures the lab-style Map alone over the testdata texts:
// the part of a labwc job no engine can make faster.
func BenchmarkMap(b *testing.B) {
	contents := apptest.Corpus(b)
	b.SetBytes(int64(len(contents)))
	for b.Loop() {
		Map("bench", contents)
	}
}
