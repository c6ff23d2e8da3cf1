// Package kvbuf holds a map task's output in memory until it is written:
// the pairs Map emits, grouped by key, each key with its reduce partition,
// its values in the order they were emitted, and (with a combiner) combined
// as they come. Drain hands them out sorted by partition and key.
//
// It is built for one pair at a time with no allocation per pair and, as a
// map task's keys rarely fit in cache, one cache miss per pair:
//
//   - the index is open addressing over 16-byte slots, four to a cache
//     line and free of pointers, that hold a key's first 8 bytes, its
//     length and 16 bits of its hash: a key of at most 8 bytes (most
//     words) is found, or found new, in its slot alone;
//   - with a combiner a slot also holds the key's pending values while
//     they are all one value repeated (word count's "1"): a count, and
//     the repeated value as a number into a small table of such values
//     (the combined value of the earlier ones is in the key's entry). A
//     key whose values differ moves them to a block of Batch strings of
//     its own;
//   - keys are copied into an arena whose bytes are never written again,
//     so longer keys are compared in compact memory and the key strings
//     handed out stay valid for good;
//   - values are kept as the strings the application passed (slices of
//     the input, or constants), never copied.
//
// With a combiner a key holds at most Batch pending values (RunBatch while
// they are one value repeated): the last is combined with the others at
// once, so a hot key costs constant memory.
// Combine sees a key's values in emission order, the earlier ones as their
// combined value. Without a combiner every pair is kept, as an entry
// number and a value number, 8 bytes a pair; a value is stored once for
// a run of pairs that pass the same string.
//
// Without a combiner, a Buffer whose first logProbe pairs all have keys
// of their own (a sort's records) stops grouping: it logs each further
// pair as it comes, key and value as passed and the key's partition,
// and Drain sorts the log whole. No index, no copy of the key.
package kvbuf

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"unsafe"
)

const (
	// Batch is how many values of one key the Buffer holds, with a
	// combiner, before it combines them into one.
	Batch = 16
	// RunBatch is how many values of one key the Buffer holds, with a
	// combiner, while they are one value repeated: held as one string and
	// a count, they cost no more than one, so they are combined less
	// often.
	RunBatch = 64
	// initialSlots is the size of a new index; it doubles as it fills,
	// past three quarters.
	initialSlots = 1 << 10
	// minArena and maxArena bound the size of a new arena: each is twice
	// the last, so that a tiny task allocates little and a big one few.
	minArena = 4 << 10
	maxArena = 1 << 20
	// logProbe is how many pairs without a combiner a Buffer groups by
	// key before it decides, from whether each had a key of its own,
	// whether to log the rest instead.
	logProbe = 4096
	// maxLogged is the most pairs a logging Buffer holds: Full says when.
	maxLogged = 1<<31 - 1
	// loggedSize is the memory of one logged pair beside its strings'
	// bytes, with its share of Drain's two sort buffers.
	loggedSize = int64(unsafe.Sizeof(loggedPair{})) + 2*int64(unsafe.Sizeof(ranked{}))
	// prefixLen is how many of a key's bytes a slot holds.
	prefixLen = 8
	// maxRuns is how many distinct repeated values the slots can name;
	// past it, a key's values go to a block at once.
	maxRuns = 1 << 16
	// stringSize, slotSize, entrySize and pairSize are the sizes of a
	// string header, an index slot, an entry and a kept pair: the memory
	// Bytes counts beside the strings' bytes.
	stringSize = 16
	slotSize   = int64(unsafe.Sizeof(slot{}))
	entrySize  = int64(unsafe.Sizeof(entry{}))
	pairSize   = 8
)

// A slot's meta packs, from the low bits up: the key's length code, its
// pending count, whether it has a combined value (hasAcc), whether its
// values moved to a block (inBlock), and its entry number + 1. Meta 0 is
// an empty slot.
const (
	lenBits    = 4
	lenMask    = 1<<lenBits - 1
	longKey    = lenMask // the length code of a key longer than prefixLen
	countShift = lenBits
	countBits  = 6 // holds 0..RunBatch-1
	countMask  = (1<<countBits - 1) << countShift
	hasAcc     = 1 << (countShift + countBits)
	inBlock    = hasAcc << 1
	entryShift = countShift + countBits + 2
	// MaxKeys is the most distinct keys a Buffer holds: Full says when it
	// holds them.
	MaxKeys = 1<<(32-entryShift) - 2
)

// slot is one place of the index.
type slot struct {
	// prefix holds prefixOf(key).
	prefix uint64
	meta   uint32
	// tag holds the top 16 bits of the key's hashKey.
	tag uint16
	// With a combiner, while the key's values are one value repeated,
	// runs[run] is the value repeated count times after the combined
	// value of the earlier ones (its entry's acc, if hasAcc).
	run uint16
}

func (s *slot) entry() int32   { return int32(s.meta>>entryShift) - 1 }
func (s *slot) count() int     { return int(s.meta&countMask) >> countShift }
func (s *slot) setCount(n int) { s.meta = s.meta&^countMask | uint32(n)<<countShift }

// entry is one distinct key: the key, in the arena, its partition and,
// with a combiner, the block of its pending values, if it has one, and
// the combined value of its earlier values while they are held in its
// slot (acc: touched once every RunBatch values, so kept out of the slot,
// which every pair touches).
type entry struct {
	key   string
	acc   string
	part  int32
	block int32
}

// loggedPair is a pair a logging Buffer holds.
type loggedPair struct {
	key, value string
	part       int32
}

// Buffer is one map task's buffered output. It is not safe for
// concurrent use.
type Buffer struct {
	combine func(key string, values []string) string
	// partition returns a new key's reduce partition; it is called once
	// per distinct key, not per pair.
	partition func(key string) int

	slots []slot
	mask  uint32

	entries []entry
	// arena holds the keys' bytes; when it is full a bigger one is made
	// and the old one left, unchanged, to the strings into it.
	arena []byte

	// With a combiner, block i is blocks[i*Batch:][:Batch]. Without one,
	// pairEntry and pairValue hold every pair's entry and value, in
	// emission order; a value is a number into values, where a value
	// passed again at once (the same string: word count's "1", the
	// indexer's file name) is not added again. So pairs hold no
	// pointers for the collector to scan, 8 bytes a pair.
	blocks []string
	// runs holds the values repeated in slots, each once; lastRun is the
	// one named last.
	runs      []string
	lastRun   int
	pairEntry []int32
	pairValue []uint32
	values    []string
	// logging is set once the Buffer logs pairs (see the package doc);
	// then log holds them in emission order and the index is empty.
	logging bool
	log     []loggedPair
	// inputStart and inputEnd bound the memory of the input (SetInput);
	// both are 0 without one.
	inputStart, inputEnd uintptr
	// bytes estimates the memory held (see Bytes); it counts every value
	// added, also those since combined away, until Recount.
	bytes int64

	// scratch holds the values of one combine call.
	scratch [RunBatch]string
	// Scratch space for Drain, kept for reuse.
	order        []ranked
	scratchOrder []ranked
	// sortedValues holds the pairs' value numbers in key order, sorted
	// one key's values as strings, for fn.
	sortedValues []uint32
	sorted       []string
	starts       []int32
	held         []held
}

// New returns an empty Buffer. partition returns the reduce partition of
// a key; it is called once for each key new to the Buffer, and may panic to abort Add. combine, if not nil, is the
// application's Combine: it may be called any number of times on any batch
// of a key's values, and its result stands for them.
func New(partition func(key string) int, combine func(key string, values []string) string) *Buffer {
	b := &Buffer{partition: partition, combine: combine}
	b.slots = make([]slot, initialSlots)
	b.mask = initialSlots - 1
	return b
}

// Bytes estimates the memory the buffered output takes: its keys (with
// their share of the index) and its values, but for the bytes of strings
// that lie in the input (SetInput), which the task holds anyway. The
// index's own size, which outlives a Drain, is left out, so that an empty
// Buffer counts 0. With a combiner the estimate also counts the values
// combined away since the last Recount, so it may be high, never low.
func (b *Buffer) Bytes() int64 { return b.bytes }

// SetInput tells the Buffer that strings lying in input cost it nothing
// (see Bytes): the map task's input, held until the task ends. "" forgets
// it; call that before the input is let go.
func (b *Buffer) SetInput(input string) {
	if input == "" {
		b.inputStart, b.inputEnd = 0, 0
		return
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(input)))
	b.inputStart, b.inputEnd = start, start+uintptr(len(input))
}

// heldBytes returns how many bytes the Buffer's hold on s costs: none if
// s lies in the input.
func (b *Buffer) heldBytes(s string) int64 {
	if len(s) == 0 {
		return 0
	}
	start := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	if start >= b.inputStart && start+uintptr(len(s)) <= b.inputEnd {
		return 0
	}
	return int64(len(s))
}

// Keys returns the number of distinct keys buffered; of a logging
// Buffer, the number of pairs, which bounds it.
func (b *Buffer) Keys() int { return len(b.entries) + len(b.log) }

// Empty reports whether nothing is buffered.
func (b *Buffer) Empty() bool { return b.Keys() == 0 }

// Full reports whether the Buffer holds MaxKeys keys (or, logging,
// maxLogged pairs): it must be drained before another pair is added.
func (b *Buffer) Full() bool { return len(b.entries) >= MaxKeys || len(b.log) >= maxLogged }

// Add buffers one pair.
func (b *Buffer) Add(key, value string) {
	if b.logging {
		b.logPair(key, value, b.partition(key))
		return
	}
	s := b.find(key)
	if b.combine == nil {
		b.pairEntry = append(b.pairEntry, s.entry())
		b.pairValue = append(b.pairValue, b.valueNumber(value))
		b.bytes += pairSize
		if len(b.pairEntry) == logProbe && len(b.entries) == logProbe {
			b.startLogging()
		}
		return
	}
	b.bytes += b.heldBytes(value)
	b.pend(s, value)
}

// logPair logs a pair whose key's partition is part.
func (b *Buffer) logPair(key, value string, part int) {
	b.log = append(b.log, loggedPair{key: key, value: value, part: int32(part)})
	b.bytes += loggedSize + b.heldBytes(key) + b.heldBytes(value)
}

// startLogging moves the pairs grouped so far, each of a key of its own,
// to the log, and empties the index: from now on the Buffer logs pairs.
func (b *Buffer) startLogging() {
	for i, e := range b.pairEntry {
		en := &b.entries[e]
		b.log = append(b.log, loggedPair{key: en.key, value: b.values[b.pairValue[i]], part: en.part})
	}
	b.clearIndex()
	b.logging = true
	b.Recount()
}

// valueNumber returns value's number in values, adding it unless it is
// the string added last.
func (b *Buffer) valueNumber(value string) uint32 {
	if n := len(b.values); n > 0 && sameString(value, b.values[n-1]) {
		return uint32(n - 1)
	}
	b.values = append(b.values, value)
	b.bytes += b.heldBytes(value) + stringSize
	return uint32(len(b.values) - 1)
}

// find returns key's slot, adding the key if it is new.
func (b *Buffer) find(key string) *slot {
	p, lc := prefixOf(key), lenCode(len(key))
	hash := hashKey(key, p)
	tag := tagOf(hash)
	i := uint32(hash) & b.mask
	for ; ; i = (i + 1) & b.mask {
		s := &b.slots[i]
		if s.meta == 0 {
			break
		}
		if s.tag == tag && s.prefix == p && s.meta&lenMask == lc &&
			(lc != longKey || b.entries[s.entry()].key == key) {
			return s
		}
	}
	part := b.partition(key)
	e := int32(len(b.entries))
	b.entries = append(b.entries, entry{key: b.intern(key), part: int32(part), block: -1})
	b.bytes += int64(len(key)) + entrySize + 2*slotSize
	b.slots[i] = slot{prefix: p, tag: tag, meta: uint32(e+1)<<entryShift | lc}
	if 4*len(b.entries) > 3*len(b.slots) {
		b.rehash(2 * len(b.slots))
		return b.find(key)
	}
	return &b.slots[i]
}

// prefixOf returns a number that, among keys of one length, stands for
// exactly one key's first min(len, prefixLen) bytes: the bytes themselves
// for a key of at least prefixLen bytes, and for shorter keys an encoding
// that reads them in at most two loads (two overlapping 4-byte words, or
// the first, middle and last bytes), without a loop.
func prefixOf(key string) uint64 {
	n := len(key)
	switch {
	case n >= prefixLen:
		return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(key), prefixLen))
	case n >= 4:
		lo := binary.LittleEndian.Uint32(unsafe.Slice(unsafe.StringData(key), 4))
		hi := binary.LittleEndian.Uint32(unsafe.Slice(unsafe.StringData(key[n-4:]), 4))
		return uint64(lo) | uint64(hi)<<32
	case n > 0:
		return uint64(key[0]) | uint64(key[n>>1])<<8 | uint64(key[n-1])<<16
	default:
		return 0
	}
}

// Constants of hashKey: odd 64-bit numbers with well-mixed bits (the
// golden ratio's and a splitmix64 one).
const (
	hashSeed = 0x9e3779b97f4a7c15
	hashMul  = 0xbf58476d1ce4e5b9
)

// hashKey returns the index's hash of key, whose prefixOf is prefix: the
// two halves of one 64x64-bit product XORed together (every input bit
// reaches every output bit, so keys that differ only in their last bytes
// spread as well as any), and one product more for every further 8
// bytes. Its low bits place the key in the index and its top 16 are the
// slot's tag. It is the Buffer's own, never seen outside it: partitions
// come from the partition function.
func hashKey(key string, prefix uint64) uint64 {
	h := mix(prefix^uint64(len(key))<<56, 0)
	for i := prefixLen; i < len(key); i += prefixLen {
		h = mix(h, prefixOf(key[i:]))
	}
	return h
}

// tagOf returns the tag of a key of hash h.
func tagOf(h uint64) uint16 { return uint16(h >> 48) }

// mix returns the XOR of the halves of the 128-bit product of a^hashMul
// and b^hashSeed.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a^hashMul, b^hashSeed)
	return hi ^ lo
}

// lenCode returns the length code of a key of n bytes.
func lenCode(n int) uint32 {
	if n > prefixLen {
		return longKey
	}
	return uint32(n)
}

// intern copies key into the arena and returns the copy.
func (b *Buffer) intern(key string) string {
	if len(key) == 0 {
		return ""
	}
	if len(key) > cap(b.arena)-len(b.arena) {
		// A fresh arena: the old one's bytes stay as they are, for the
		// strings that point into it.
		b.arena = make([]byte, 0, max(minArena, min(2*cap(b.arena), maxArena), len(key)))
	}
	start := len(b.arena)
	b.arena = append(b.arena, key...)
	return unsafe.String(&b.arena[start], len(key))
}

// rehash rebuilds the index with n slots. A slot keeps only 16 bits of
// its key's hash, so the hash is found again from the key.
func (b *Buffer) rehash(n int) {
	old := b.slots
	b.slots = make([]slot, n)
	b.mask = uint32(n - 1)
	for _, s := range old {
		if s.meta == 0 {
			continue
		}
		i := uint32(hashKey(b.entries[s.entry()].key, s.prefix)) & b.mask
		for b.slots[i].meta != 0 {
			i = (i + 1) & b.mask
		}
		b.slots[i] = s
	}
}

// Recount makes Bytes exact again: call it before acting on a high count.
func (b *Buffer) Recount() {
	if b.logging {
		b.bytes = int64(len(b.log)) * loggedSize
		for _, l := range b.log {
			b.bytes += b.heldBytes(l.key) + b.heldBytes(l.value)
		}
		return
	}
	b.bytes = int64(len(b.entries))*(entrySize+2*slotSize) + int64(len(b.blocks))*stringSize +
		int64(len(b.pairValue))*pairSize + int64(len(b.values)+len(b.runs))*stringSize
	for _, en := range b.entries {
		b.bytes += int64(len(en.key) + len(en.acc))
	}
	for _, v := range b.runs {
		b.bytes += b.heldBytes(v)
	}
	for _, v := range b.blocks {
		b.bytes += b.heldBytes(v)
	}
	for _, v := range b.values {
		b.bytes += b.heldBytes(v)
	}
}

// Reset empties the Buffer, as Drain does, without handing anything out.
func (b *Buffer) Reset() { b.reset() }

// reset empties the Buffer, dropping its references to the strings it
// held but keeping the storage; the arena is left to the strings that
// point into it. The index keeps its size: the next task's keys are
// likely as many.
func (b *Buffer) reset() {
	b.clearIndex()
	clear(b.log)
	b.log, b.logging = b.log[:0], false
	clear(b.sorted)
	clear(b.held)
	b.sortedValues, b.sorted, b.held = b.sortedValues[:0], b.sorted[:0], b.held[:0]
	b.arena = nil
	b.bytes = 0
}

// clearIndex empties the index, the keys' entries and their values,
// keeping the storage.
func (b *Buffer) clearIndex() {
	clear(b.slots)
	clear(b.entries)
	clear(b.blocks)
	clear(b.values)
	clear(b.runs)
	b.entries, b.blocks, b.runs, b.lastRun = b.entries[:0], b.blocks[:0], b.runs[:0], 0
	b.pairEntry, b.pairValue, b.values = b.pairEntry[:0], b.pairValue[:0], b.values[:0]
}

// grow returns s extended by n zero elements, reusing its capacity.
func grow[T any](s []T, n int) []T {
	return slices.Grow(s, n)[:len(s)+n]
}
