package kvbuf

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/app/apptest"
)

func hashOf(key string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return h.Sum32()
}

const parts = 3

func partOf(key string) int { return int(hashOf(key)&0x7fffffff) % parts }

// partitionOf is the partition function the tests give New.
func partitionOf(key string) int { return partOf(key) }

type group struct {
	part   int
	key    string
	values []string
}

// drain returns what Drain hands out.
func drain(t *testing.T, b *Buffer) []group {
	var got []group
	require.NoError(t, b.Drain(func(part int, key string, values []string) error {
		got = append(got, group{part, key, slices.Clone(values)})
		return nil
	}))
	return got
}

// model returns what Drain must hand out for pairs, without a combiner.
func model(pairs [][2]string) []group {
	byKey := map[string][]string{}
	for _, p := range pairs {
		byKey[p[0]] = append(byKey[p[0]], p[1])
	}
	var want []group
	for k, v := range byKey {
		want = append(want, group{partOf(k), k, v})
	}
	slices.SortFunc(want, func(a, b group) int {
		if a.part != b.part {
			return a.part - b.part
		}
		return strings.Compare(a.key, b.key)
	})
	return want
}

// randomPairs returns n pairs over a Zipf-like set of keys, values
// numbered in emission order.
func randomPairs(seed uint64, n, keys int) [][2]string {
	r := rand.New(rand.NewPCG(seed, 1))
	pairs := make([][2]string, n)
	for i := range pairs {
		k := int(float64(keys) * r.Float64() * r.Float64())
		pairs[i] = [2]string{fmt.Sprintf("k%d", k), strconv.Itoa(i)}
	}
	return pairs
}

func TestDrainGroupsAndSortsWithoutCombiner(t *testing.T) {
	for _, tt := range []struct{ n, keys int }{{0, 1}, {1, 1}, {100, 3}, {10_000, 5_000}, {50_000, 300}} {
		b := New(partitionOf, nil)
		pairs := randomPairs(uint64(tt.n), tt.n, tt.keys)
		for _, p := range pairs {
			b.Add(p[0], p[1])
		}
		require.Equal(t, len(model(pairs)), b.Keys())
		require.Equal(t, model(pairs), drain(t, b), "n=%d keys=%d", tt.n, tt.keys)
		require.True(t, b.Empty())
		require.Zero(t, b.Bytes())
		// The emptied buffer is as good as new.
		for _, p := range pairs[:tt.n/2] {
			b.Add(p[0], p[1])
		}
		require.Equal(t, model(pairs[:tt.n/2]), drain(t, b))
	}
}

func TestDrainOrdersKeysThatTieOnTheirFirstBytes(t *testing.T) {
	// Keys longer than the sort prefix, sharing it; keys that differ only
	// by trailing zero bytes; bytes above 0x7f; the empty key.
	keys := []string{"", "\x00", "a", "a\x00", "a\x00\x00", "\xff", "\xff\xff", "é"}
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("commonprefix-%03d", i), fmt.Sprintf("%08d", i%7)+strings.Repeat("z", i))
	}
	b := New(partitionOf, nil)
	r := rand.New(rand.NewPCG(7, 7))
	for round := range 3 {
		var pairs [][2]string
		for i := range 2_000 {
			pairs = append(pairs, [2]string{keys[r.IntN(len(keys))], strconv.Itoa(i)})
		}
		for _, p := range pairs {
			b.Add(p[0], p[1])
		}
		require.Equal(t, model(pairs), drain(t, b), "round %d", round)
	}
}

func TestCombinerKeepsSumsAndBoundsValues(t *testing.T) {
	var calls, most int
	sum := func(key string, values []string) string {
		calls++
		most = max(most, len(values))
		return apptest.Sum(key, values)
	}
	b := New(partitionOf, sum)
	pairs := randomPairs(7, 100_000, 2_000)
	want := map[string]int{}
	for _, p := range pairs {
		b.Add(p[0], "1")
		want[p[0]]++
	}
	require.LessOrEqual(t, most, RunBatch, "a key never holds more than RunBatch values")
	estimate := b.Bytes()
	b.Recount()
	require.LessOrEqual(t, b.Bytes(), estimate, "the estimate is never low")
	require.Less(t, b.Bytes(), int64(b.Keys())*(entrySize+2*slotSize+2*Batch*stringSize), "memory is per key, not per pair")
	got := map[string]int{}
	var order []group
	for _, g := range drain(t, b) {
		require.Len(t, g.values, 1, "a drained key is combined into one value")
		n, err := strconv.Atoi(g.values[0])
		require.NoError(t, err)
		got[g.key] = n
		order = append(order, group{part: g.part, key: g.key})
	}
	require.Equal(t, want, got)
	require.True(t, slices.IsSortedFunc(order, func(a, b group) int {
		if a.part != b.part {
			return a.part - b.part
		}
		return strings.Compare(a.key, b.key)
	}))
	require.Positive(t, calls)
}

func TestCombinerSeesValuesInOrder(t *testing.T) {
	// Runs of one value (held in the slot) mixed with values that differ
	// (which move a key to a block): joining keeps every value, so the
	// drained value must list them all, in emission order. One value in
	// 40 differing makes runs longer than a block holds.
	for _, oneIn := range []int{4, 40} {
		most := 0
		join := func(_ string, values []string) string {
			most = max(most, len(values))
			return strings.Join(values, ",")
		}
		b := New(partitionOf, join)
		r := rand.New(rand.NewPCG(5, 5))
		want := map[string][]string{}
		for i := range 20_000 {
			key := fmt.Sprintf("k%d", r.IntN(300))
			value := "x"
			if r.IntN(oneIn) == 0 {
				value = strconv.Itoa(i)
			}
			b.Add(key, value)
			want[key] = append(want[key], value)
		}
		require.LessOrEqual(t, most, RunBatch)
		got := map[string][]string{}
		for _, g := range drain(t, b) {
			require.Len(t, g.values, 1)
			got[g.key] = strings.Split(g.values[0], ",")
		}
		require.Equal(t, want, got, "one value in %d differs", oneIn)
	}
}

func TestCombinerKeepsValuesPastTheRunsSlotsCanName(t *testing.T) {
	// Every key starts a run of a value of its own, so the slots run out
	// of names for repeated values: the keys after that keep theirs in
	// blocks, and every value still reaches the combiner, in order.
	join := func(_ string, values []string) string { return strings.Join(values, ",") }
	b := New(partitionOf, join)
	const keys, each = maxRuns + 1_000, 3
	want := map[string][]string{}
	for round := range each {
		for k := range keys {
			key, value := fmt.Sprintf("k%d", k), fmt.Sprintf("v%d", k)
			if round == each-1 && k%2 == 0 {
				value = "other"
			}
			b.Add(key, value)
			want[key] = append(want[key], value)
		}
	}
	require.Equal(t, maxRuns, len(b.runs), "the slots name at most maxRuns repeated values")
	estimate := b.Bytes()
	b.Recount()
	require.LessOrEqual(t, b.Bytes(), estimate, "the estimate is never low")
	got := map[string][]string{}
	for _, g := range drain(t, b) {
		require.Len(t, g.values, 1)
		got[g.key] = strings.Split(g.values[0], ",")
	}
	require.Equal(t, len(want), len(got))
	for key, values := range want {
		require.Equal(t, values, got[key], "key %q", key)
	}
	require.Zero(t, len(b.runs), "Drain forgets the repeated values")
}

func TestUniqueKeysAreLoggedAndDrainedInOrder(t *testing.T) {
	// The first logProbe keys are each new, so the Buffer logs the rest:
	// keys that repeat after that, keys that tie on their first 8 bytes,
	// an empty key and keys padded with NULs must still come out grouped,
	// sorted, and with their values in emission order.
	b := New(partitionOf, nil)
	var pairs [][2]string
	add := func(key string) {
		value := strconv.Itoa(len(pairs))
		pairs = append(pairs, [2]string{key, value})
		b.Add(key, value)
	}
	for i := range logProbe {
		add(fmt.Sprintf("record-%06d", i))
	}
	require.True(t, b.logging, "every key of the first %d was new", logProbe)
	r := rand.New(rand.NewPCG(9, 9))
	for range 3 * logProbe {
		switch r.IntN(4) {
		case 0:
			add(fmt.Sprintf("record-%06d", r.IntN(2*logProbe)))
		case 1:
			add(strings.Repeat("\x00", r.IntN(3)))
		default:
			add(fmt.Sprintf("tie-on-8-%d", r.IntN(50)))
		}
	}
	estimate := b.Bytes()
	b.Recount()
	require.Equal(t, estimate, b.Bytes(), "a log's estimate is exact")
	require.Equal(t, model(pairs), drain(t, b))

	// Drained, the Buffer groups again: these keys repeat at once.
	require.False(t, b.logging)
	pairs = randomPairs(4, 2*logProbe, 100)
	for _, p := range pairs {
		b.Add(p[0], p[1])
	}
	require.False(t, b.logging, "keys that repeat are grouped")
	require.Equal(t, model(pairs), drain(t, b))
}

func TestStringsInTheInputCostOnlyTheirHeaders(t *testing.T) {
	// Keys and values that are slices of the input cost the Buffer none
	// of their bytes (but a grouped key's copy): with no combiner (keys
	// unique: logged) and with one.
	var sb strings.Builder
	const records = 2 * logProbe
	for i := range records {
		fmt.Fprintf(&sb, "k%07dv%07d", i, i%7)
	}
	input := sb.String()
	join := func(_ string, values []string) string { return strings.Join(values, ",") }
	for _, combine := range []func(string, []string) string{nil, join} {
		inside, outside := New(partitionOf, combine), New(partitionOf, combine)
		inside.SetInput(input)
		for i := range records {
			key, value := input[16*i:16*i+8], input[16*i+8:16*i+16]
			inside.Add(key, value)
			outside.Add(strings.Clone(key), strings.Clone(value))
		}
		require.Less(t, inside.Bytes(), outside.Bytes())
		estimate := inside.Bytes()
		inside.Recount()
		require.LessOrEqual(t, inside.Bytes(), estimate, "the estimate is never low")
		inside.SetInput("")
		inside.Recount()
		outside.Recount()
		require.Equal(t, outside.Bytes(), inside.Bytes(), "without the input, the same strings count whole")
		require.Equal(t, drain(t, outside), drain(t, inside))
	}
}

func TestPartitionIsAskedOncePerKey(t *testing.T) {
	asked := map[string]int{}
	b := New(func(key string) int { asked[key]++; return partOf(key) }, nil)
	for _, p := range randomPairs(3, 10_000, 100) {
		b.Add(p[0], p[1])
	}
	require.Len(t, asked, b.Keys())
	for key, n := range asked {
		require.Equal(t, 1, n, "partition of %q asked %d times", key, n)
	}
}

func TestDrainStopsAtAnError(t *testing.T) {
	b := New(partitionOf, nil)
	for _, k := range []string{"a", "b", "c"} {
		b.Add(k, "1")
	}
	calls := 0
	err := b.Drain(func(int, string, []string) error {
		calls++
		return fmt.Errorf("disk full")
	})
	require.EqualError(t, err, "disk full")
	require.Equal(t, 1, calls)
	require.True(t, b.Empty(), "a failed drain still empties the buffer")
}

func TestAddAllocatesNothingForKnownKeys(t *testing.T) {
	for _, combine := range []func(string, []string) string{nil, func(_ string, v []string) string { return v[0] }} {
		b := New(partitionOf, combine)
		keys := []string{"alpha", "beta", "gamma", "delta"}
		for _, k := range keys {
			b.Add(k, "1")
		}
		// Without a combiner the pair slices grow, amortized: measure past
		// a warm-up that gives them room.
		for range 1000 {
			b.Add("alpha", "1")
		}
		b.pairEntry, b.pairValue = slices.Grow(b.pairEntry, 10_000), slices.Grow(b.pairValue, 10_000)
		allocs := testing.AllocsPerRun(1000, func() {
			for _, k := range keys {
				b.Add(k, "1")
			}
		})
		require.Zero(t, allocs, "combine=%v", combine != nil)
	}
}

func BenchmarkAdd(b *testing.B) {
	pairs := randomPairs(1, 1<<20, 50_000)
	sum := func(key string, values []string) string { return values[0] }
	for _, bc := range []struct {
		name    string
		combine func(string, []string) string
	}{{"combine", sum}, {"group", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			buf := New(partitionOf, bc.combine)
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range pairs {
					buf.Add(p[0], "1")
				}
				buf.Drain(func(int, string, []string) error { return nil })
			}
			b.ReportMetric(float64(len(pairs))*float64(b.N)/b.Elapsed().Seconds(), "pairs/s")
		})
	}
}

// Keys that differ only in their last bytes (word0000, word0001, ...)
// must spread over the index like random keys: a hash that mixes only
// the low bytes puts them in a few slots and every lookup walks a chain.
func TestHashSpreadsKeysThatDifferAtTheEnd(t *testing.T) {
	const keys, slots = 10_000, 1 << 14
	for _, format := range []string{"word%04d", "w%07d", "%04dword", "a-long-shared-prefix-%05d"} {
		used := map[uint64]bool{}
		for i := range keys {
			key := fmt.Sprintf(format, i)
			used[hashKey(key, prefixOf(key))&(slots-1)] = true
		}
		// Random hashes fill about slots*(1-e^(-keys/slots)), 7,000.
		require.Greater(t, len(used), 6_500, "format %q: %d keys in %d of %d slots", format, keys, len(used), slots)
	}
}
