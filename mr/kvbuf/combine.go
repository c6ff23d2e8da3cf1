package kvbuf

import "unsafe"

// pend adds value to the pending values of s's key, combining them when
// there are Batch. While they are one value repeated they stay in the
// slot, the combined value counting as one, and are combined at RunBatch;
// the first value that differs moves them to a block.
func (b *Buffer) pend(s *slot, value string) {
	n := s.count()
	if s.meta&inBlock == 0 {
		if n > 0 && sameString(value, b.runs[s.run]) || n == 0 && b.startRun(s, value) {
			if n++; n+accCount(s) == RunBatch {
				b.foldRun(s, n)
				n = 0
			}
			s.setCount(n)
			return
		}
		if n+accCount(s) >= Batch {
			// Too many for a block: combine them first.
			b.foldRun(s, n)
			n = 0
		}
		n = b.toBlock(s, n)
	}
	block := b.blockOf(s)
	block[n] = value
	if n++; n == Batch {
		block[0] = b.combine(b.entries[s.entry()].key, block)
		clear(block[1:])
		b.bytes += int64(len(block[0]))
		n = 1
	}
	s.setCount(n)
}

// startRun makes value the repeated value of s, which holds no pending
// values, and reports whether it could: runs can name maxRuns values.
func (b *Buffer) startRun(s *slot, value string) bool {
	if b.lastRun < len(b.runs) && sameString(value, b.runs[b.lastRun]) {
		s.run = uint16(b.lastRun)
		return true
	}
	if len(b.runs) == maxRuns {
		return false
	}
	b.runs = append(b.runs, value)
	b.bytes += stringSize + b.heldBytes(value)
	b.lastRun = len(b.runs) - 1
	s.run = uint16(b.lastRun)
	return true
}

// sameString reports whether a == b, comparing the pointers first: the
// values of a run are most often one string, the application's constant.
func sameString(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	return unsafe.StringData(a) == unsafe.StringData(b) || a == b
}

// accCount is 1 if s holds a combined value, else 0.
func accCount(s *slot) int {
	if s.meta&hasAcc != 0 {
		return 1
	}
	return 0
}

// runValues returns the pending values of s's key held in its slot, n of
// them after its combined value, in scratch.
func (b *Buffer) runValues(s *slot, n int) []string {
	values := b.scratch[:0]
	if s.meta&hasAcc != 0 {
		values = append(values, b.entries[s.entry()].acc)
	}
	for range n {
		values = append(values, b.runs[s.run])
	}
	return values
}

// foldRun combines the combined value and the n repeated values in s into
// a new combined value.
func (b *Buffer) foldRun(s *slot, n int) {
	values := b.runValues(s, n)
	en := &b.entries[s.entry()]
	en.acc = b.combine(en.key, values)
	clear(values)
	s.meta |= hasAcc
	b.bytes += int64(len(en.acc))
}

// toBlock moves the n pending values held in s to a new block of the
// key's, and returns how many the block holds: fewer than Batch, as a
// slot holds fewer.
func (b *Buffer) toBlock(s *slot, n int) int {
	values := b.runValues(s, n)
	en := &b.entries[s.entry()]
	en.block = int32(len(b.blocks) / Batch)
	b.blocks = grow(b.blocks, Batch)
	block := b.blockOf(s)
	copy(block, values)
	clear(values)
	en.acc = ""
	s.meta = s.meta&^hasAcc | inBlock
	b.bytes += Batch * stringSize
	return len(values)
}

// blockOf returns the block of s's key.
func (b *Buffer) blockOf(s *slot) []string {
	return b.blocks[int(b.entries[s.entry()].block)*Batch:][:Batch]
}

// pendingValues returns the pending values of s's key, in order, in its
// block or in scratch.
func (b *Buffer) pendingValues(s *slot) []string {
	if s.meta&inBlock != 0 {
		return b.blockOf(s)[:s.count()]
	}
	return b.runValues(s, s.count())
}
