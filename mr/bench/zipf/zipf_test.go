package zipf

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNewRejectsBadSizes(t *testing.T) {
	for _, n := range []int{0, -1, MaxRanks + 1} {
		_, err := New(n)
		require.ErrorContains(t, err, "ranks", "n=%d", n)
	}
}

// searchRank is Rank's definition, found by binary search over all ranks.
func searchRank(t *Table, u uint64) int {
	x, _ := bits.Mul64(u, t.total())
	return sort.Search(len(t.cum), func(k int) bool { return t.cum[k] > x })
}

func TestRankMatchesDefinition(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 100, 1000, maxGuide + 17} {
		tab, err := New(n)
		require.NoError(t, err)
		require.Equal(t, n, tab.Len())
		require.Equal(t, 0, tab.Rank(0))
		require.Equal(t, n-1, tab.Rank(math.MaxUint64))
		for range 20000 {
			u := r.Uint64()
			require.Equal(t, searchRank(tab, u), tab.Rank(u), "n=%d u=%#x", n, u)
		}
	}
}

func TestShares(t *testing.T) {
	const n = 1000
	tab, err := New(n)
	require.NoError(t, err)
	harmonic, sum := 0.0, 0.0
	for k := range n {
		harmonic += 1 / float64(k+1)
		sum += tab.Share(k)
	}
	require.InDelta(t, 1, sum, 1e-9)
	require.InDelta(t, 1/harmonic, tab.Share(0), 1e-9)
	require.InDelta(t, 2, tab.Share(0)/tab.Share(1), 1e-6)
	require.InDelta(t, 10, tab.Share(0)/tab.Share(9), 1e-6)

	// Drawn counts follow the shares: rank 0 within a few standard
	// deviations of its expectation.
	const draws = 200000
	r := rand.New(rand.NewPCG(3, 4))
	counts := make([]int, n)
	for range draws {
		counts[tab.Rank(r.Uint64())]++
	}
	for _, k := range []int{0, 1, 9} {
		p := tab.Share(k)
		sd := math.Sqrt(draws * p * (1 - p))
		require.InDelta(t, draws*p, float64(counts[k]), 5*sd, "rank %d", k)
	}
}

func BenchmarkRank(b *testing.B) {
	tab, err := New(1 << 16)
	require.NoError(b, err)
	u := uint64(0)
	for b.Loop() {
		u += 0x9e3779b97f4a7c15
		tab.Rank(u)
	}
}
