// Package merge merges sorted streams of key/value records into one sorted
// stream, holding only the head record of each stream in memory.
package merge

import (
	"container/heap"
	"io"
)

// Source is a stream of records sorted by key. Next returns io.EOF after
// the last record.
type Source interface {
	Next() (key, value string, err error)
}

// Merger yields the records of several sorted sources in key order. Records
// with equal keys come in the order of their sources, so the output is
// deterministic.
type Merger struct {
	heads headHeap
}

type head struct {
	key, value string
	source     int
	src        Source
}

// New returns a Merger over sources, reading the first record of each.
func New(sources []Source) (*Merger, error) {
	m := &Merger{heads: make(headHeap, 0, len(sources))}
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
	heap.Init(&m.heads)
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
		heap.Pop(&m.heads)
	case err != nil:
		return "", "", err
	default:
		top.key, top.value = k, v
		heap.Fix(&m.heads, 0)
	}
	return key, value, nil
}

type headHeap []head

func (h headHeap) Len() int { return len(h) }
func (h headHeap) Less(i, j int) bool {
	if h[i].key != h[j].key {
		return h[i].key < h[j].key
	}
	return h[i].source < h[j].source
}
func (h headHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *headHeap) Push(x any)   { *h = append(*h, x.(head)) }
func (h *headHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
