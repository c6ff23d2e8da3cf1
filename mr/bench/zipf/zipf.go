// Package zipf draws ranks from a Zipf distribution with exponent 1: of n
// ranks, rank k (from 0) has weight 1/(k+1), so rank 0 is drawn with
// probability 1/H(n), H(n) = 1 + 1/2 + ... + 1/n, twice as often as rank 1
// and k+1 times as often as rank k.
//
// A Table maps a uniform 64-bit number to a rank with integer arithmetic
// only: the same number gives the same rank on every machine and Go
// version, so generated data is reproducible from its seed. Each weight is
// rounded down to a multiple of 2^-weightBits, which moves a rank's
// probability by less than one part in 2^weightBits/n.
package zipf

import (
	"fmt"
	"math/bits"
)

const (
	// MaxRanks is the most ranks a Table holds: its tables take 12 bytes
	// a rank at most, and the weights' sum stays below 2^64 with room.
	MaxRanks = 1 << 24
	// weightBits is the fixed-point precision of the weights: rank k
	// weighs floor(2^weightBits/(k+1)).
	weightBits = 40
	// maxGuide bounds the number of guide buckets.
	maxGuide = 1 << 16
)

// Table draws ranks among n. It is read-only once made, so safe for
// concurrent use.
type Table struct {
	// cum[k] is the sum of the weights of ranks 0..k; cum[n-1] the total.
	cum []uint64
	// guide[j] is the first rank whose cum exceeds bucket j's lowest
	// value, j*total/len(guide): a draw starts its search there.
	guide []int32
}

// New returns the Table of n ranks, 1 <= n <= MaxRanks.
func New(n int) (*Table, error) {
	if n < 1 || n > MaxRanks {
		return nil, fmt.Errorf("zipf: %d ranks; want 1 to %d", n, MaxRanks)
	}
	t := &Table{cum: make([]uint64, n), guide: make([]int32, min(n, maxGuide))}
	var sum uint64
	for k := range t.cum {
		sum += (1 << weightBits) / uint64(k+1)
		t.cum[k] = sum
	}
	k := 0
	for j := range t.guide {
		low := t.bucketStart(j)
		for t.cum[k] <= low {
			k++
		}
		t.guide[j] = int32(k)
	}
	return t, nil
}

// Len returns the number of ranks.
func (t *Table) Len() int { return len(t.cum) }

// total returns the sum of all weights.
func (t *Table) total() uint64 { return t.cum[len(t.cum)-1] }

// bucketStart returns the lowest value of guide bucket j.
func (t *Table) bucketStart(j int) uint64 {
	hi, lo := bits.Mul64(uint64(j), t.total())
	q, _ := bits.Div64(hi, lo, uint64(len(t.guide)))
	return q
}

// Rank returns the rank that u, a uniformly distributed 64-bit number,
// draws: the first k with cum[k] > x, where x = u*total/2^64.
func (t *Table) Rank(u uint64) int {
	x, _ := bits.Mul64(u, t.total())
	// x < total, so the bucket's quotient fits and is below len(guide).
	hi, lo := bits.Mul64(x, uint64(len(t.guide)))
	j, _ := bits.Div64(hi, lo, t.total())
	k := int(t.guide[j])
	for t.cum[k] <= x {
		k++
	}
	return k
}

// Share returns the probability that Rank draws rank k.
func (t *Table) Share(k int) float64 {
	w := t.cum[k]
	if k > 0 {
		w -= t.cum[k-1]
	}
	return float64(w) / float64(t.total())
}
