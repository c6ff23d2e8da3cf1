package table

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCounterTotalsDoNotOverflow(t *testing.T) {
	tb := New(inputsOf("a"), 1, testPolicy(), t0)
	a := mustAssign(t, tb, 1, t0)
	require.NoError(t, tb.CheckCounters(map[string]int64{"records": MaxCounterValue}))
	commitOn(t, tb, a, "", map[string]int64{"records": MaxCounterValue}, t0)
	tb.counters["records"] = math.MaxInt64 - 1 // as if many commits had added up
	red := mustAssign(t, tb, 1, t0)
	err := tb.CheckCounters(map[string]int64{"records": 2})
	require.ErrorContains(t, err, "overflow")
	require.Equal(t, DecisionFailed, tb.Fail(1, red.Attempt, "counters refused: "+err.Error(), t0))
	require.Equal(t, int64(math.MaxInt64-1), tb.Counters()["records"])
}

// TestCounterTotalsSaturate: two commits checked at once may together
// pass MaxInt64; the total stays there rather than wrap.
func TestCounterTotalsSaturate(t *testing.T) {
	tb := New(inputsOf("a", "b"), 1, testPolicy(), t0)
	a, b := mustAssign(t, tb, 1, t0), mustAssign(t, tb, 2, t0)
	tb.counters["records"] = math.MaxInt64 - 5 // as if many commits had added up
	three := map[string]int64{"records": 3}
	require.NoError(t, tb.CheckCounters(three))
	require.NoError(t, tb.CheckCounters(three), "checked before either commits")
	commitOn(t, tb, a, "", three, t0)
	commitOn(t, tb, b, "", three, t0)
	require.Equal(t, int64(math.MaxInt64), tb.Counters()["records"])
}
