package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/app"
)

// pairSource yields a fixed list of sorted pairs.
type pairSource struct{ keys, values []string }

func (s *pairSource) Next() (string, string, error) {
	if len(s.keys) == 0 {
		return "", "", io.EOF
	}
	k, v := s.keys[0], s.values[0]
	s.keys, s.values = s.keys[1:], s.values[1:]
	return k, v, nil
}

func TestForEachGroup(t *testing.T) {
	src := &pairSource{
		keys:   []string{"a", "a", "b", "c", "c", "c"},
		values: []string{"1", "2", "3", "4", "5", "6"},
	}
	var keys []string
	var groups [][]string
	require.NoError(t, forEachGroup(src, func(k string, v []string) error {
		keys = append(keys, k)
		groups = append(groups, slices.Clone(v)) // the slice itself is reused
		return nil
	}))
	require.Equal(t, []string{"a", "b", "c"}, keys)
	require.Equal(t, [][]string{{"1", "2"}, {"3"}, {"4", "5", "6"}}, groups)
}

func TestForEachGroupReusesItsSlice(t *testing.T) {
	src := &pairSource{}
	for i := range 10_000 {
		src.keys, src.values = append(src.keys, fmt.Sprintf("k%05d", i/3)), append(src.values, "1")
	}
	allocs := testing.AllocsPerRun(1, func() {
		s := *src
		require.NoError(t, forEachGroup(&s, func(string, []string) error { return nil }))
	})
	require.Less(t, allocs, 10.0, "one values slice for all 3,334 keys")
}

func TestForEachGroupAfterHotKeyAllocatesLittle(t *testing.T) {
	// One key with a million values, then many single-value keys: each
	// later group must not inherit the hot key's capacity.
	const hot, cold = 1_000_000, 1000
	src := &pairSource{}
	for range hot {
		src.keys, src.values = append(src.keys, "a"), append(src.values, "1")
	}
	for i := range cold {
		src.keys, src.values = append(src.keys, "b"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676))), append(src.values, "1")
	}
	maxCap := 0
	require.NoError(t, forEachGroup(src, func(k string, v []string) error {
		if k != "a" {
			maxCap = max(maxCap, cap(v))
		}
		return nil
	}))
	require.LessOrEqual(t, maxCap, 4)
}

func TestReduceGroupsCallsReduceNoMoreOnceTheAttemptEnds(t *testing.T) {
	// A slow Reduce during which the attempt is revoked: the next keys
	// must not be reduced, or a revoked attempt with a few slow keys
	// outlasts StuckGrace and its worker exits as if Reduce were stuck.
	ctx, revoke := context.WithCancel(t.Context())
	var reduced []string
	a := app.App{Reduce: func(key string, values []string) string {
		reduced = append(reduced, key)
		revoke()
		return "1"
	}}
	src := &pairSource{keys: []string{"a", "b", "c"}, values: []string{"1", "1", "1"}}
	var out bytes.Buffer
	stats, err := reduceGroups(ctx, a, src, &out)
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, []string{"a"}, reduced)
	require.Equal(t, int64(1), stats.records)
}
