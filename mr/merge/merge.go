// Package merge merges sorted streams of key/value records into one sorted
// stream, holding only the head record of each stream in memory.
package merge

import (
	"encoding/binary"
	"io"
	"strings"
)

// Source is a stream of records sorted by key. Next returns io.EOF after
// the last record.
type Source interface {
	Next() (key, value string, err error)
}

// Merger yields the records of several sorted sources in key order. Records
// with equal keys come in the order of their sources, so the output is
// deterministic.
//
// It is a tree of losers (Knuth, TAOCP 5.4.1): each record out costs one
// comparison per level of the tree, against two per level of a binary
// heap, and most comparisons are of two integers, the keys' first 8
// bytes, kept beside each head.
type Merger struct {
	// heads holds each source's current record; a source is a player of
	// the tournament by its number.
	heads []head
	// losers[n], for each inner node n of the tree (1 .. len(heads)-1),
	// is the player that lost the last match there; losers[0] is the
	// overall winner, the smallest head. Player p's leaf is node
	// p + len(heads); node n's parent is n/2.
	losers []int
}

type head struct {
	key, value string
	// prefix is the key's first 8 bytes as a big-endian number, zero
	// padded: prefixes that differ order as their keys do.
	prefix uint64
	// done marks an exhausted source, which loses to every other.
	done bool
	src  Source
}

// beforeAll is the player that wins every match while the tree is built:
// a stand-in for the players not yet entered.
const beforeAll = -1

// prefixLen is how many of a key's bytes head.prefix holds.
const prefixLen = 8

// prefixOf returns the first 8 bytes of key as a big-endian number,
// zero-padded.
func prefixOf(key string) uint64 {
	if len(key) >= prefixLen {
		return binary.BigEndian.Uint64([]byte(key[:prefixLen]))
	}
	var buf [prefixLen]byte
	copy(buf[:], key)
	return binary.BigEndian.Uint64(buf[:])
}

// less reports whether player a's head comes before player b's: by key,
// then by source.
func (m *Merger) less(a, b int) bool {
	if a == beforeAll || b == beforeAll {
		return a == beforeAll && b != beforeAll
	}
	x, y := &m.heads[a], &m.heads[b]
	switch {
	case x.done || y.done:
		return !x.done && y.done || x.done == y.done && a < b
	case x.prefix != y.prefix:
		return x.prefix < y.prefix
	}
	if c := strings.Compare(x.key, y.key); c != 0 {
		return c < 0
	}
	return a < b
}

// New returns a Merger over sources, reading the first record of each.
func New(sources []Source) (*Merger, error) {
	m := &Merger{heads: make([]head, len(sources)), losers: make([]int, max(len(sources), 1))}
	for i, src := range sources {
		k, v, err := src.Next()
		switch {
		case err == io.EOF:
			m.heads[i] = head{done: true}
		case err != nil:
			return nil, err
		default:
			m.heads[i] = head{key: k, value: v, prefix: prefixOf(k), src: src}
		}
	}
	for n := range m.losers {
		m.losers[n] = beforeAll
	}
	for p := range m.heads {
		m.replay(p)
	}
	return m, nil
}

// replay plays player p's head up from its leaf to the root, after it
// changed, leaving the losers at the inner nodes and the winner at 0.
func (m *Merger) replay(p int) {
	winner := p
	for n := (p + len(m.heads)) / 2; n > 0; n /= 2 {
		if m.less(m.losers[n], winner) {
			m.losers[n], winner = winner, m.losers[n]
		}
	}
	m.losers[0] = winner
}

// Next returns the smallest remaining record, or io.EOF when all sources
// are exhausted.
func (m *Merger) Next() (key, value string, err error) {
	if len(m.heads) == 0 {
		return "", "", io.EOF
	}
	w := m.losers[0]
	top := &m.heads[w]
	if top.done {
		return "", "", io.EOF
	}
	key, value = top.key, top.value
	k, v, err := top.src.Next()
	switch {
	case err == io.EOF:
		*top = head{done: true}
		m.replay(w)
	case err != nil:
		return "", "", err
	case k == key:
		// The same key again from the same source: every other head with
		// this key comes from a later source, so this one stays on top.
		top.value = v
	default:
		top.key, top.value, top.prefix = k, v, prefixOf(k)
		m.replay(w)
	}
	return key, value, nil
}
