package totalorder

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

func TestPartitionCountsSplitsAtOrBelowTheKey(t *testing.T) {
	splits := []string{"c", "f", "m"}
	for _, tc := range []struct {
		key  string
		want int
	}{{"", 0}, {"a", 0}, {"b\xff", 0}, {"c", 1}, {"cc", 1}, {"f", 2}, {"l", 2}, {"m", 3}, {"zzz", 3}} {
		require.Equal(t, tc.want, Partition(splits, tc.key), "key %q", tc.key)
	}
	require.Equal(t, 0, Partition(nil, "anything"))
}

// counts returns how many of keys fall in each of parts partitions.
func counts(splits, keys []string, parts int) []int {
	c := make([]int, parts)
	for _, k := range keys {
		c[Partition(splits, k)]++
	}
	return c
}

func uniformKeys(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("%010d", r.Int64N(1e10))
	}
	return keys
}

func TestSplitsCutUniformKeysEvenly(t *testing.T) {
	const parts = 10
	keys := uniformKeys(100_000, 1)
	splits := Splits(slices.Clone(keys[:10_000]), parts)
	require.Len(t, splits, parts-1)
	require.True(t, slices.IsSorted(splits))
	share := len(keys) / parts
	for p, n := range counts(splits, keys, parts) {
		require.InDelta(t, share, n, 0.1*float64(share), "partition %d holds %d of %d keys", p, n, len(keys))
	}
}

func TestSplitsNeverCutAKey(t *testing.T) {
	// One key is half the data; the rest is uniform.
	const parts = 10
	keys := uniformKeys(50_000, 2)
	hot := "5000000000"
	for range 50_000 {
		keys = append(keys, hot)
	}
	splits := Splits(slices.Clone(keys), parts)
	require.True(t, slices.IsSorted(splits))
	for i := 1; i < len(splits); i++ {
		require.NotEqual(t, splits[i-1], splits[i], "split points repeat")
	}
	require.Less(t, len(splits), parts-1, "a key half the data should take the place of several cuts")

	share := len(keys) / parts
	hotPart := Partition(splits, hot)
	for p, n := range counts(splits, keys, parts) {
		if p == hotPart {
			require.GreaterOrEqual(t, n, 50_000, "the hot key's partition holds all of it")
			// Beside the hot key, at most one share of other keys.
			require.LessOrEqual(t, n-50_000, share+share/10)
			continue
		}
		require.LessOrEqual(t, n, share+share/10, "partition %d holds %d keys, past one share (%d)", p, n, share)
	}
}

func TestSplitsOfTooFewDistinctKeys(t *testing.T) {
	require.Empty(t, Splits(nil, 10))
	require.Empty(t, Splits([]string{"a", "a", "a"}, 10), "one key: nothing to cut")
	require.Equal(t, []string{"b"}, Splits([]string{"a", "b", "a", "b"}, 10))
	require.Empty(t, Splits([]string{"a", "b"}, 1), "one partition needs no split")
}

// The output is sorted for any split points: a larger key never gets a
// smaller partition.
func TestPartitionIsMonotonic(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for range 100 {
		splits := Splits(uniformKeys(1+r.IntN(200), r.Uint64()), 1+r.IntN(20))
		keys := uniformKeys(500, r.Uint64())
		slices.Sort(keys)
		for i := 1; i < len(keys); i++ {
			require.LessOrEqual(t, Partition(splits, keys[i-1]), Partition(splits, keys[i]))
		}
	}
}

func TestSampleKeepsABoundedUniformSample(t *testing.T) {
	const n, max = 100_000, 1_000
	s := NewSample(max, 7)
	for i := range n {
		s.Add(fmt.Sprintf("%08d", i))
	}
	require.Len(t, s.Keys(), max)
	require.EqualValues(t, n, s.Seen())
	// Uniform: about a tenth of the sample in each tenth of the keys.
	var tenths [10]int
	for _, k := range s.Keys() {
		v, err := strconv.Atoi(k)
		require.NoError(t, err)
		tenths[v*10/n]++
	}
	for i, c := range tenths {
		require.InDelta(t, max/10, c, max/25, "tenth %d holds %d sampled keys", i, c)
	}

	again := NewSample(max, 7)
	for i := range n {
		again.Add(fmt.Sprintf("%08d", i))
	}
	require.Equal(t, s.Keys(), again.Keys(), "the same seed and keys give the same sample")
}

func TestSampleCopiesAndCutsKeys(t *testing.T) {
	buf := []byte(strings.Repeat("k", 2*MaxKeyBytes))
	s := NewSample(10, 1)
	s.Add(string(buf[:3]))
	key := unsafeString(buf)
	s.Add(key)
	buf[0] = 'X'
	require.Equal(t, "kkk", s.Keys()[0])
	require.Equal(t, strings.Repeat("k", MaxKeyBytes), s.Keys()[1], "a long key is cut, and copied")
}

// unsafeString returns a string that shares b's bytes, as a Map's keys
// share its input's.
func unsafeString(b []byte) string { return unsafe.String(&b[0], len(b)) }
