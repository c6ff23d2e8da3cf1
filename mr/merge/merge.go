// Package merge merges sorted streams of key/value records into one sorted
// stream, holding only the head record of each stream in memory.
package merge

import "io"

// Source is a stream of records sorted by key. Next returns io.EOF after
// the last record.
type Source interface {
	Next() (key, value string, err error)
}

// Merger yields the records of several sorted sources in key order. Records
// with equal keys come in the order of their sources, so the output is
// deterministic.
type Merger struct {
	// heads is a binary min-heap of the sources' current records, ordered
	// by key, then source.
	heads []head
}

type head struct {
	key, value string
	source     int
	src        Source
}

// less orders heads by key, then by source.
func (h *head) less(o *head) bool {
	if h.key != o.key {
		return h.key < o.key
	}
	return h.source < o.source
}

// New returns a Merger over sources, reading the first record of each.
func New(sources []Source) (*Merger, error) {
	m := &Merger{heads: make([]head, 0, len(sources))}
	for i, src := range sources {
		k, v, err := src.Next()
		if err == io.EOF {
			continue
		}
		if err != nil {
			return nil, err
		}
		m.heads = append(m.heads, head{key: k, value: v, source: i, src: src})
	}
	for i := len(m.heads)/2 - 1; i >= 0; i-- {
		m.down(i)
	}
	return m, nil
}

// Next returns the smallest remaining record, or io.EOF when all sources
// are exhausted.
func (m *Merger) Next() (key, value string, err error) {
	if len(m.heads) == 0 {
		return "", "", io.EOF
	}
	top := &m.heads[0]
	key, value = top.key, top.value
	k, v, err := top.src.Next()
	switch {
	case err == io.EOF:
		last := len(m.heads) - 1
		m.heads[0] = m.heads[last]
		m.heads[last] = head{}
		m.heads = m.heads[:last]
		m.down(0)
	case err != nil:
		return "", "", err
	case k == key:
		// The same key again from the same source: every other head with
		// this key comes from a later source, so this one stays on top.
		top.value = v
	default:
		top.key, top.value = k, v
		m.down(0)
	}
	return key, value, nil
}

// down moves the head at i down the heap to its place.
func (m *Merger) down(i int) {
	h := m.heads
	n := len(h)
	for {
		least := i
		if l := 2*i + 1; l < n && h[l].less(&h[least]) {
			least = l
		}
		if r := 2*i + 2; r < n && h[r].less(&h[least]) {
			least = r
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}
