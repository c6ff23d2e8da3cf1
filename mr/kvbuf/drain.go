package kvbuf

import (
	"encoding/binary"
	"slices"
	"strings"
)

// Drain calls fn once per key, in order of partition and then key, with
// the key's values in emission order, combined into one if there is a
// combiner; then it empties the Buffer, keeping its storage for reuse. fn
// must not keep the values slice past the call; the strings, keys and
// values alike, it may keep. Drain stops at fn's first error.
func (b *Buffer) Drain(fn func(part int, key string, values []string) error) error {
	defer b.reset()
	if b.logging {
		return b.drainLog(fn)
	}
	b.sortEntries()
	if b.combine != nil {
		b.collectHeld()
		one := make([]string, 1)
		for _, r := range b.order {
			h := &b.held[r.entry]
			values := b.pendingValues(&h.slot)
			en := &b.entries[r.entry]
			if len(values) > 1 {
				one[0] = b.combine(en.key, values)
				values = one
			}
			if err := fn(int(en.part), en.key, values); err != nil {
				return err
			}
		}
		return nil
	}
	b.sortPairs()
	for rank, r := range b.order {
		en := &b.entries[r.entry]
		b.sorted = b.sorted[:0]
		for _, v := range b.sortedValues[b.starts[rank]:b.starts[rank+1]] {
			b.sorted = append(b.sorted, b.values[v])
		}
		if err := fn(int(en.part), en.key, b.sorted); err != nil {
			return err
		}
	}
	return nil
}

// held is the pending state of one entry's key, copied out of its slot.
type held struct{ slot slot }

// collectHeld fills held, by entry, from the slots.
func (b *Buffer) collectHeld() {
	b.held = grow(b.held[:0], len(b.entries))
	for i := range b.slots {
		if s := &b.slots[i]; s.meta != 0 {
			b.held[s.entry()].slot = *s
		}
	}
}

// ranked is an entry as Drain sorts it: by partition, then by the first 8
// bytes of its key (big-endian, so that they order as the key does), then
// by the whole key only when those tie.
type ranked struct {
	part   int32
	entry  int32
	prefix uint64
}

// sortPrefix returns the first 8 bytes of key as a big-endian number,
// zero-padded: numbers compare as the keys' first 8 bytes do.
func sortPrefix(key string) uint64 {
	var buf [prefixLen]byte
	copy(buf[:], key)
	return binary.BigEndian.Uint64(buf[:])
}

// sortEntries fills order with the entries sorted by partition, then key:
// a radix sort on the key's first 8 bytes, then by partition, then a
// comparison sort of the few runs whose first 8 bytes tie.
func (b *Buffer) sortEntries() {
	b.sortOrder(len(b.entries), func(e int) (int32, string) { return b.entries[e].part, b.entries[e].key })
}

// sortOrder fills order with n entries, whose partition and key are
// entryOf(0 .. n-1), sorted by partition and key, stably.
func (b *Buffer) sortOrder(n int, entryOf func(e int) (part int32, key string)) {
	b.order = b.order[:0]
	maxPart := int32(0)
	for e := range n {
		part, key := entryOf(e)
		b.order = append(b.order, ranked{part: part, entry: int32(e), prefix: sortPrefix(key)})
		maxPart = max(maxPart, part)
	}
	b.scratchOrder = grow(b.scratchOrder[:0], len(b.order))
	sorted, other := radixByPrefix(b.order, b.scratchOrder)
	countingByPart(sorted, other, int(maxPart)+1)
	// The result is in other; keep the two buffers distinct for reuse.
	b.order, b.scratchOrder = other, sorted
	b.breakTies(func(e int32) string { _, key := entryOf(int(e)); return key })
}

// drainLog is Drain of a logging Buffer: it sorts the log by partition
// and key, stably, so that a key's values keep their emission order, and
// calls fn once per run of equal keys.
func (b *Buffer) drainLog(fn func(part int, key string, values []string) error) error {
	b.sortOrder(len(b.log), func(e int) (int32, string) { return b.log[e].part, b.log[e].key })
	keyOf := func(e int32) string { return b.log[e].key }
	for i := 0; i < len(b.order); {
		first := &b.log[b.order[i].entry]
		b.sorted = append(b.sorted[:0], first.value)
		j := i + 1
		// Keys that differ in their first 8 bytes differ: most do, and
		// their bytes are not touched again.
		for ; j < len(b.order) && b.order[j].prefix == b.order[i].prefix && keyOf(b.order[j].entry) == first.key; j++ {
			b.sorted = append(b.sorted, b.log[b.order[j].entry].value)
		}
		if err := fn(int(first.part), first.key, b.sorted); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// radixDigits is the number of values of one digit of a radix sort.
const radixDigits = 256

// radixByPrefix sorts a by prefix, stably, least significant byte first,
// using tmp (as long as a) as the other buffer; it skips a byte on which
// all agree (short keys are zero-padded). It returns whichever of a and
// tmp holds the result, and then the other.
func radixByPrefix(a, tmp []ranked) (sorted, other []ranked) {
	if len(a) == 0 {
		return a, tmp
	}
	for shift := 0; shift < 64; shift += 8 {
		var count [radixDigits]int
		for i := range a {
			count[byte(a[i].prefix>>shift)]++
		}
		if count[byte(a[0].prefix>>shift)] == len(a) {
			continue
		}
		pos := 0
		for d := range count {
			count[d], pos = pos, pos+count[d]
		}
		for i := range a {
			d := byte(a[i].prefix >> shift)
			tmp[count[d]] = a[i]
			count[d]++
		}
		a, tmp = tmp, a
	}
	return a, tmp
}

// countingByPart sorts a by partition, stably, into tmp (as long as a);
// parts is one more than the largest partition.
func countingByPart(a, tmp []ranked, parts int) {
	start := make([]int, parts+1)
	for i := range a {
		start[a[i].part+1]++
	}
	for p := 1; p <= parts; p++ {
		start[p] += start[p-1]
	}
	for i := range a {
		p := a[i].part
		tmp[start[p]] = a[i]
		start[p]++
	}
}

// breakTies sorts by whole key (keyOf of the entry), stably, the runs of
// order whose partition and first 8 bytes tie.
func (b *Buffer) breakTies(keyOf func(entry int32) string) {
	o := b.order
	for i := 0; i < len(o); {
		j := i + 1
		for j < len(o) && o[j].part == o[i].part && o[j].prefix == o[i].prefix {
			j++
		}
		if j-i > 1 {
			slices.SortStableFunc(o[i:j], func(x, y ranked) int {
				return strings.Compare(keyOf(x.entry), keyOf(y.entry))
			})
		}
		i = j
	}
}

// sortPairs puts the value numbers of the entries in order into
// sortedValues, each entry's in emission order, starting at
// starts[rank] for the entry of that rank in order: a counting sort,
// O(pairs).
func (b *Buffer) sortPairs() {
	n := len(b.order)
	rank := make([]int32, len(b.entries))
	for r, o := range b.order {
		rank[o.entry] = int32(r)
	}
	b.starts = grow(b.starts[:0], n+1)
	clear(b.starts)
	for _, e := range b.pairEntry {
		b.starts[rank[e]+1]++
	}
	for r := 1; r <= n; r++ {
		b.starts[r] += b.starts[r-1]
	}
	next := slices.Clone(b.starts[:n])
	b.sortedValues = grow(b.sortedValues[:0], len(b.pairValue))
	for i, e := range b.pairEntry {
		r := rank[e]
		b.sortedValues[next[r]] = b.pairValue[i]
		next[r]++
	}
}
