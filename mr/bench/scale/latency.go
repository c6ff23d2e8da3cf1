package scale

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// A histogram counts durations in buckets of logarithmic width: each
// power of two is cut into subBuckets, so a quantile is known to within
// 1/subBuckets of its value, in fixed memory however many calls there
// are, and without a lock.
const (
	subBucketBits = 3
	subBuckets    = 1 << subBucketBits
	// histogramBuckets covers every int64 nanosecond count.
	histogramBuckets = 64 * subBuckets
)

// histogram counts durations; safe for concurrent use.
type histogram struct {
	counts [histogramBuckets]atomic.Int64
}

// bucketOf returns the bucket of d: its power of two and the next
// subBucketBits bits below the leading one.
func bucketOf(d time.Duration) int {
	n := uint64(max(d, 0))
	if n < subBuckets {
		return int(n)
	}
	exp := bits.Len64(n) - 1
	mantissa := (n >> (exp - subBucketBits)) & (subBuckets - 1)
	return (exp-subBucketBits+1)*subBuckets + int(mantissa)
}

// bucketTop returns the largest duration in bucket b.
func bucketTop(b int) time.Duration {
	if b < subBuckets {
		return time.Duration(b)
	}
	exp := b/subBuckets + subBucketBits - 1
	mantissa := uint64(b % subBuckets)
	low := (1<<subBucketBits | mantissa) << (exp - subBucketBits)
	return time.Duration(low + 1<<(exp-subBucketBits) - 1)
}

// record counts one call that took d.
func (h *histogram) record(d time.Duration) { h.counts[bucketOf(d)].Add(1) }

// Latency summarizes a histogram: the number of calls and the top of the
// bucket holding each quantile.
type Latency struct {
	Count          int64
	P50, P99, P999 time.Duration
}

// Quantiles of a Latency, as fractions.
const (
	quantile50  = 0.50
	quantile99  = 0.99
	quantile999 = 0.999
)

// summary returns the histogram's count and quantiles.
func (h *histogram) summary() Latency {
	var counts [histogramBuckets]int64
	var total int64
	for i := range counts {
		counts[i] = h.counts[i].Load()
		total += counts[i]
	}
	return Latency{
		Count: total,
		P50:   quantileOf(&counts, total, quantile50),
		P99:   quantileOf(&counts, total, quantile99),
		P999:  quantileOf(&counts, total, quantile999),
	}
}

// quantileOf returns the top of the bucket where the q-th fraction of
// total calls falls, or 0 if there were none.
func quantileOf(counts *[histogramBuckets]int64, total int64, q float64) time.Duration {
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total-1)) + 1
	var seen int64
	for b, n := range counts {
		if seen += n; seen >= rank {
			return bucketTop(b)
		}
	}
	return bucketTop(histogramBuckets - 1)
}
