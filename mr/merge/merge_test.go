package merge

import (
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type kv struct{ key, value string }

type sliceSource struct {
	records []kv
	err     error // returned after the records instead of io.EOF
}

func (s *sliceSource) Next() (string, string, error) {
	if len(s.records) == 0 {
		if s.err != nil {
			return "", "", s.err
		}
		return "", "", io.EOF
	}
	r := s.records[0]
	s.records = s.records[1:]
	return r.key, r.value, nil
}

func drain(t *testing.T, m *Merger) []kv {
	var out []kv
	for {
		k, v, err := m.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, kv{k, v})
	}
}

func TestMergeMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Keys that tie on their first 8 bytes, differ only past them, hold
	// NUL bytes (which pad a short key's first 8) or are empty must order
	// as strings do.
	shapes := []func(n int) string{
		strconv.Itoa,
		func(n int) string { return "a-shared-prefix-" + strconv.Itoa(n) },
		func(n int) string { return "abcdefgh" + strings.Repeat("\x00", n%3) + strconv.Itoa(n%2) },
		func(n int) string { return strings.Repeat("\x00", n%4) },
	}
	for round := 0; round < 200; round++ {
		var all []kv
		var sources []Source
		shape := shapes[round%len(shapes)]
		for s := 0; s < rng.IntN(40); s++ {
			var recs []kv
			for i := 0; i < rng.IntN(20); i++ {
				recs = append(recs, kv{shape(rng.IntN(30)), strconv.Itoa(s)})
			}
			slices.SortStableFunc(recs, func(a, b kv) int { return compareKeys(a.key, b.key) })
			all = append(all, recs...)
			sources = append(sources, &sliceSource{records: recs})
		}
		// Stable sort of the concatenation is the reference: equal keys
		// keep source order.
		slices.SortStableFunc(all, func(a, b kv) int { return compareKeys(a.key, b.key) })
		m, err := New(sources)
		require.NoError(t, err)
		got := drain(t, m)
		if len(all) == 0 {
			require.Empty(t, got)
			continue
		}
		require.Equal(t, all, got, "round %d", round)
	}
}

func compareKeys(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestMergePassesErrors(t *testing.T) {
	boom := errors.New("boom")
	m, err := New([]Source{&sliceSource{records: []kv{{"a", "1"}}, err: boom}})
	require.NoError(t, err)
	_, _, err = m.Next()
	require.ErrorIs(t, err, boom)

	_, err = New([]Source{&sliceSource{err: boom}})
	require.ErrorIs(t, err, boom)
}
