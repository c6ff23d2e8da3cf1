// Package totalorder range-partitions keys so that every key of partition
// p sorts before every key of partition p+1: the reduce outputs, read in
// partition order, are one sorted sequence, whatever the keys'
// distribution.
//
// It works as Hadoop's InputSampler and TotalOrderPartitioner do. A
// Sample keeps a bounded, uniform sample of the keys a Map emits
// (reservoir sampling); Splits sorts the samples of a few inputs and picks
// at most R-1 split points that cut them into R runs of about equal size;
// Partition sends a key to the number of split points at or below it.
//
// Split points decide only how evenly the records spread, never whether
// the output is sorted: Partition is monotonic for any split points, so a
// poor sample costs balance, not correctness. That is why a sampled key
// may be cut to MaxKeyBytes and why Map may see only part of an input
// while sampling.
//
// A key is never split across partitions, as Reduce sees all of a key's
// values in one call. So split points fall only between distinct keys: a
// key that takes more than one partition's share of the sample gets a
// partition to itself and the rest are cut as evenly as the other keys
// allow. A key holding half of all records puts half of them in one
// partition, and leaves about half the partitions empty.
package totalorder

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
)

// MaxKeyBytes is the longest sampled key kept whole; longer ones are cut
// to it. It bounds a sample's memory and size on the wire and in the
// journal.
const MaxKeyBytes = 64

// Sample is a uniform sample of at most a fixed number of the keys added
// to it (Vitter's algorithm R), seeded so that the same keys give the
// same sample. It is not safe for concurrent use.
type Sample struct {
	keys []string
	max  int
	seen int64
	rng  *rand.Rand
}

// NewSample returns an empty sample that keeps at most max keys.
func NewSample(max int, seed uint64) *Sample {
	return &Sample{max: max, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Add offers key to the sample, which keeps a copy of at most its first
// MaxKeyBytes bytes if it chooses it.
func (s *Sample) Add(key string) {
	s.seen++
	if len(s.keys) < s.max {
		s.keys = append(s.keys, keep(key))
		return
	}
	if j := s.rng.Int64N(s.seen); j < int64(s.max) {
		s.keys[j] = keep(key)
	}
}

// keep returns a copy of key's first MaxKeyBytes bytes, so that the
// sample holds nothing of the buffer the key came from.
func keep(key string) string { return strings.Clone(key[:min(len(key), MaxKeyBytes)]) }

// Keys returns the sampled keys, in no particular order.
func (s *Sample) Keys() []string { return s.keys }

// Seen returns how many keys were added.
func (s *Sample) Seen() int64 { return s.seen }

// Splits returns at most parts-1 split points, in increasing order, that
// cut samples into parts runs of about equal size. Each split point is a
// sampled key: keys below it go to the left of it. Only keys that differ
// from the key before them (in sorted order) can start a run, so a run of
// one repeated key is never cut: a cut that would fall inside one moves
// to the nearer end of it, and cuts that meet there are merged, leaving
// fewer split points. So a partition holds about one share, or one key
// too big for a share. samples is sorted in place.
func Splits(samples []string, parts int) []string {
	slices.Sort(samples)
	starts := runStarts(samples)
	var splits []string
	prev := 0 // the last cut's index in samples; 0 means none yet
	for p := 1; p < parts; p++ {
		target := p * len(samples) / parts
		cut, ok := nearestStart(starts, target, prev)
		if !ok {
			continue
		}
		splits = append(splits, samples[cut])
		prev = cut
	}
	return splits
}

// runStarts returns the indexes, after 0, at which sorted holds a key
// that differs from the one before it.
func runStarts(sorted []string) []int {
	var starts []int
	for i := 1; i < len(sorted); i++ {
		if sorted[i] != sorted[i-1] {
			starts = append(starts, i)
		}
	}
	return starts
}

// nearestStart returns the start in starts (sorted) nearest to target,
// the lower one on a tie, and false if there is none or it is at or
// below prev: a cut that falls where the last one did, or inside the run
// of one key that the last cut already moved past, is dropped.
func nearestStart(starts []int, target, prev int) (int, bool) {
	if len(starts) == 0 {
		return 0, false
	}
	i := sort.SearchInts(starts, target) // the first start >= target
	best := 0
	switch {
	case i == len(starts):
		best = starts[i-1]
	case i > 0 && distance(starts[i-1], target) <= distance(starts[i], target):
		best = starts[i-1]
	default:
		best = starts[i]
	}
	return best, best > prev
}

func distance(a, b int) int {
	if a > b {
		return a - b
	}
	return b - a
}

// Partition returns key's partition under splits (increasing, as Splits
// returns them): the number of split points at or below key, from 0 to
// len(splits). It is monotonic: a larger key never gets a smaller
// partition.
func Partition(splits []string, key string) int {
	return sort.Search(len(splits), func(i int) bool { return splits[i] > key })
}
