package worker

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/ifile"
	"6.5840/mr/merge"
)

const (
	// DefaultSortBuffer is how many bytes of map output a map attempt
	// keeps in memory before it spills sorted runs to disk.
	DefaultSortBuffer = 64 << 20
	// recordOverhead estimates the memory a buffered pair costs beyond
	// its bytes (a KeyValue's two string headers).
	recordOverhead = 32
	// groupOverhead estimates the memory a new key costs in a combining
	// buffer (map entry and value slice).
	groupOverhead = 96
	// combineBatch is how many values of one key a combining buffer holds
	// before it combines them into one; it bounds memory for hot keys, and
	// a key's list is allocated at this size once.
	combineBatch = 16
	// spillBufferSize is the write buffer of a spill file.
	spillBufferSize = 256 << 10
)

// mapStats counts what a map attempt did.
type mapStats struct {
	inputBytes     int64
	outputRecords  int64 // pairs Map emitted
	writtenRecords int64 // pairs written to the output file, after combining
	spills         int64
}

// partitionBuffer holds one partition's buffered output, the values
// grouped by key in the order Map emitted them. Grouping by hash and then
// sorting only the distinct keys is much cheaper than sorting every pair,
// and keeps equal keys' values in order without a stable sort.
type partitionBuffer struct {
	groups map[string]*valueList
}

// valueList is a key's buffered values; a pointer in the map lets an
// existing key be found with a single hash lookup.
type valueList struct {
	values []string
}

// mapOutput collects one map attempt's output. It partitions the pairs,
// keeps them in memory up to a bound, spills sorted (and combined) runs to
// disk past it, and finally leaves one sorted file per partition.
type mapOutput struct {
	app     app.App
	nReduce int
	limit   int64
	// final is the output file's path; spillPath names run n of a
	// partition.
	final     string
	spillPath func(reduce, n int) string

	parts    []partitionBuffer
	buffered int64
	runs     [][]string // spilled run files per partition
	stats    mapStats
}

func newMapOutput(a app.App, nReduce int, limit int64, final string, spillPath func(reduce, n int) string) *mapOutput {
	o := &mapOutput{app: a, nReduce: nReduce, limit: limit, final: final, spillPath: spillPath,
		parts: make([]partitionBuffer, nReduce), runs: make([][]string, nReduce)}
	for r := range o.parts {
		o.parts[r].groups = make(map[string]*valueList)
	}
	return o
}

// add buffers Map's output, spilling when the buffer is full.
func (o *mapOutput) add(kvs []mr.KeyValue) error {
	o.stats.outputRecords += int64(len(kvs))
	var err error
	perr := safeCall("Partition or Combine", func() {
		for _, kv := range kvs {
			r := o.app.PartitionOf(kv.Key, o.nReduce)
			if r < 0 || r >= o.nReduce {
				err = fmt.Errorf("Partition(%q, %d) returned %d; want 0 <= p < %d", kv.Key, o.nReduce, r, o.nReduce)
				return
			}
			o.buffer(&o.parts[r], kv)
			if o.buffered >= o.limit {
				if err = o.spill(); err != nil {
					return
				}
			}
		}
	})
	if perr != nil {
		return perr
	}
	return err
}

func (o *mapOutput) buffer(p *partitionBuffer, kv mr.KeyValue) {
	list := p.groups[kv.Key]
	if list == nil {
		list = &valueList{}
		if o.app.Combine != nil {
			list.values = make([]string, 0, combineBatch)
		}
		p.groups[kv.Key] = list
		o.buffered += int64(len(kv.Key)) + groupOverhead
	}
	list.values = append(list.values, kv.Value)
	o.buffered += int64(len(kv.Value)) + recordOverhead
	if o.app.Combine != nil && len(list.values) >= combineBatch {
		for _, v := range list.values {
			o.buffered -= int64(len(v)) + recordOverhead
		}
		combined := o.app.Combine(kv.Key, list.values)
		o.buffered += int64(len(combined)) + recordOverhead
		list.values = append(list.values[:0], combined)
	}
}

// spill writes every partition's buffer as a sorted run and empties it.
func (o *mapOutput) spill() error {
	for r := range o.parts {
		if o.parts[r].empty() {
			continue
		}
		path := o.spillPath(r, len(o.runs[r]))
		o.runs[r] = append(o.runs[r], path)
		if err := o.writeRun(path, r); err != nil {
			return err
		}
	}
	o.buffered = 0
	o.stats.spills++
	return nil
}

func (o *mapOutput) writeRun(path string, r int) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	w := bufio.NewWriterSize(f, spillBufferSize)
	out := ifile.NewWriter(w)
	_, err = o.flush(r, out)
	if err == nil {
		err = out.Close()
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("spill %s: %w", path, err)
	}
	return nil
}

func (p *partitionBuffer) empty() bool { return len(p.groups) == 0 }

// flush writes partition r's buffer to out in key order, combining each
// key's values if there is a combiner, and empties the buffer. It returns
// the number of records written; the caller closes out.
func (o *mapOutput) flush(r int, out *ifile.Writer) (int64, error) {
	p := &o.parts[r]
	var n int64
	keys := make([]string, 0, len(p.groups))
	for k := range p.groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		values := p.groups[k].values
		if o.app.Combine != nil {
			values = []string{o.app.Combine(k, values)}
		}
		for _, v := range values {
			if err := out.Write(k, v); err != nil {
				return n, err
			}
			n++
		}
	}
	// A new map rather than clear: clear keeps the old map's size.
	p.groups = make(map[string]*valueList)
	return n, nil
}

// finish writes the attempt's output file, one section per partition,
// uncommitted: the caller commits or aborts it. Spilled runs are merged
// and removed.
func (o *mapOutput) finish() (*atomicfile.File, error) {
	if o.stats.spills > 0 {
		defer o.removeRuns()
		var err error
		if perr := safeCall("Combine", func() { err = o.spill() }); perr != nil {
			return nil, perr
		}
		if err != nil {
			return nil, err
		}
	}
	f, err := atomicfile.Create(o.final, atomicfile.Volatile)
	if err != nil {
		return nil, err
	}
	sections := ifile.NewSectionWriter(f)
	for r := range o.nReduce {
		out, err := sections.Next()
		if err != nil {
			f.Abort()
			return nil, fmt.Errorf("write %s: %w", o.final, err)
		}
		var n int64
		if o.stats.spills > 0 {
			n, err = o.mergeRuns(r, out)
		} else {
			var ferr error
			err = safeCall("Combine", func() { n, ferr = o.flush(r, out) })
			if err == nil {
				err = ferr
			}
		}
		if err != nil {
			f.Abort()
			return nil, fmt.Errorf("write %s: %w", o.final, err)
		}
		o.stats.writtenRecords += n
	}
	if err := sections.Close(); err != nil {
		f.Abort()
		return nil, fmt.Errorf("write %s: %w", o.final, err)
	}
	return f, nil
}

// mergeRuns merges partition r's spilled runs into out, combining equal
// keys again if there is a combiner.
func (o *mapOutput) mergeRuns(r int, out *ifile.Writer) (int64, error) {
	merged, err := mergeFiles(wholeFiles(o.runs[r]), func(n int) string { return o.spillPath(r, len(o.runs[r])+n) })
	if err != nil {
		return 0, err
	}
	defer merged.Close()
	var n int64
	write := func(key string, values []string) error {
		v := values[0]
		if o.app.Combine != nil {
			if err := safeCall("Combine", func() { v = o.app.Combine(key, values) }); err != nil {
				return err
			}
		}
		n++
		return out.Write(key, v)
	}
	if o.app.Combine == nil {
		write = func(key string, values []string) error {
			for _, v := range values {
				if err := out.Write(key, v); err != nil {
					return err
				}
				n++
			}
			return nil
		}
	}
	err = forEachGroup(merged, write)
	return n, err
}

func (o *mapOutput) removeRuns() {
	for _, runs := range o.runs {
		for _, path := range runs {
			os.Remove(path)
		}
	}
}

// forEachGroup reads sorted records from in and calls fn once per key
// with that key's values, in order. fn may keep the values slice.
func forEachGroup(in merge.Source, fn func(key string, values []string) error) error {
	key, value, err := in.Next()
	for err == nil {
		// A fresh slice per key, since fn may keep it, sized to start
		// small: the previous key's size says nothing of this one's.
		values := []string{value}
		var next string
		for {
			next, value, err = in.Next()
			if err != nil || next != key {
				break
			}
			values = append(values, value)
		}
		if err != nil && err != io.EOF {
			return err
		}
		if ferr := fn(key, values); ferr != nil {
			return ferr
		}
		key = next
	}
	if err != io.EOF {
		return err
	}
	return nil
}
