package worker

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"6.5840/mr"
	"6.5840/mr/app"
	"6.5840/mr/atomicfile"
	"6.5840/mr/filemerge"
	"6.5840/mr/ifile"
	"6.5840/mr/kvbuf"
	"6.5840/mr/merge"
)

const (
	// maxKeptValues bounds the capacity of the values slice forEachGroup
	// reuses from one key to the next.
	maxKeptValues = 1 << 16
	// spillBufferSize is the write buffer of a spill file.
	spillBufferSize = 256 << 10
)

// mapStats counts what a map attempt did.
type mapStats struct {
	inputBytes     int64
	outputRecords  int64 // pairs Map emitted
	writtenRecords int64 // pairs written to the output file, after combining
	spills         int64
	outputBytes    int64 // the output file's size
}

// mapCollector collects one map attempt's output, one pair at a time: it
// partitions each pair and buffers it, grouped by key and combined, in a
// kvbuf.Buffer up to a bound; past the bound it spills the buffer as a
// sorted run, one section per partition, to a scratch file; at the end it
// leaves one file with one sorted section per partition.
type mapCollector struct {
	app     app.App
	nReduce int
	limit   int64
	// final is the output file's path; spillPath names spill n, and
	// mergePath the n-th partial merge of partition r's spills.
	final     string
	spillPath func(n int) string
	mergePath func(r, n int) string

	buf    *kvbuf.Buffer
	spills []string
	// memRun, once finish has drained the buffer of an attempt that
	// spilled, is the buffer's last run, in memory as a spill file would
	// hold it: it joins the merge of the spills without being written.
	memRun []byte
	stats  mapStats

	// ctx and at are the attempt's, for a CombineTask; a nil ctx means
	// context.Background().
	ctx context.Context
	at  app.Attempt
}

// newMapCollector returns a mapCollector that buffers in buf, which must be
// empty and made for a.Combine, or in a new Buffer if buf is nil.
func newMapCollector(a app.App, nReduce int, limit int64, final string, spillPath func(n int) string, mergePath func(r, n int) string, buf *kvbuf.Buffer) *mapCollector {
	o := &mapCollector{app: a, nReduce: nReduce, limit: limit, final: final, spillPath: spillPath, mergePath: mergePath, buf: buf}
	if o.buf == nil {
		o.buf = newMapBuffer(a, nReduce)
	}
	return o
}

// newMapBuffer returns an empty buffer for a's map output with nReduce
// partitions. A key's partition is found once, when the key is new: the
// application's Partition if it has one (panicking with an errAbort if it
// answers out of range), else mr.Hash(key) % nReduce.
func newMapBuffer(a app.App, nReduce int) *kvbuf.Buffer {
	partition := func(key string) int { return int(hash(key)&hashMask) % nReduce }
	if a.Partition != nil {
		partition = func(key string) int {
			r := a.Partition(key, nReduce)
			if r < 0 || r >= nReduce {
				panic(errAbort{fmt.Errorf("Partition(%q, %d) returned %d; want 0 <= p < %d", key, nReduce, r, nReduce)})
			}
			return r
		}
	}
	return kvbuf.New(partition, a.Combine)
}

// errAbort carries an error out of emit, which cannot return one, to the
// safeCall around Map.
type errAbort struct{ err error }

// emit buffers one pair, spilling when the buffer is full. It panics with
// an errAbort for a bad partition or a failed spill; Map's safeCall turns
// that back into the error.
func (o *mapCollector) emit(key, value string) {
	o.stats.outputRecords++
	o.buf.Add(key, value)
	if o.buf.Bytes() >= o.limit || o.buf.Full() {
		if o.buf.Recount(); o.buf.Bytes() < o.limit && !o.buf.Full() {
			return
		}
		if err := o.spill(); err != nil {
			panic(errAbort{err})
		}
	}
}

// hashMask keeps a hash non-negative, as mr.Hash does.
const hashMask = 0x7fffffff

// FNV-1a, 32 bit: mr.Hash's function, inlined here for the hot path.
const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
)

// hash returns the 32-bit FNV-1a of key; hash(key) & hashMask is
// mr.Hash(key).
func hash(key string) uint32 {
	h := uint32(fnvOffset32)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint32(key[i])) * fnvPrime32
	}
	return h
}

// add buffers a slice of pairs, as the lab's Map returns them.
func (o *mapCollector) add(kvs []mr.KeyValue) error {
	return o.call("Partition or Combine", func() {
		for _, kv := range kvs {
			o.emit(kv.Key, kv.Value)
		}
	})
}

// call runs f, which calls emit, and returns the error it aborted with, or
// the panic of the application's code (named what) as an error.
func (o *mapCollector) call(what string, f func()) error {
	var aborted error
	err := safeCall(what, func() {
		defer func() {
			if v := recover(); v != nil {
				a, ok := v.(errAbort)
				if !ok {
					panic(v)
				}
				aborted = a.err
			}
		}()
		f()
	})
	if aborted != nil {
		return aborted
	}
	return err
}

// spill writes the buffer as a sorted run, one section per partition, and
// empties it.
func (o *mapCollector) spill() error {
	path := o.spillPath(len(o.spills))
	o.spills = append(o.spills, path)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	w := bufio.NewWriterSize(f, spillBufferSize)
	sections := ifile.NewSectionWriter(w)
	_, err = o.drain(sections)
	if err == nil {
		err = sections.Close()
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
	o.stats.spills++
	return nil
}

// drain writes the buffer, combined, to sections, one per partition in
// order (empty ones too), and empties it. It returns the records written.
func (o *mapCollector) drain(sections *ifile.SectionWriter) (int64, error) {
	var n int64
	var out *ifile.Writer
	next := 0 // the next partition to open a section for
	err := o.buf.Drain(func(part int, key string, values []string) error {
		for ; next <= part; next++ {
			var err error
			if out, err = sections.Next(); err != nil {
				return err
			}
		}
		for _, v := range values {
			if err := out.Write(key, v); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	for ; err == nil && next < o.nReduce; next++ {
		_, err = sections.Next()
	}
	return n, err
}

// finish writes the attempt's output file, one section per partition,
// uncommitted: the caller commits or aborts it. Spilled runs are merged
// and removed; what the buffer holds at the end joins them from memory.
// A CombineTask runs over merged runs only, so with one the buffer is
// always spilled first.
func (o *mapCollector) finish() (*atomicfile.File, error) {
	if len(o.spills) > 0 || o.app.CombineTask != nil {
		defer o.removeRuns()
		var err error
		last := o.spill
		if o.app.CombineTask == nil {
			last = o.drainToMemory
		}
		if perr := safeCall("Combine", func() { err = last() }); perr != nil {
			return nil, perr
		}
		if err != nil {
			return nil, err
		}
	}
	f, err := atomicfile.CreateInPlace(o.final, atomicfile.Volatile)
	if err != nil {
		return nil, err
	}
	if err := o.writeSections(f); err != nil {
		f.Abort()
		return nil, fmt.Errorf("write %s: %w", o.final, err)
	}
	return f, nil
}

// drainToMemory drains the buffer into memRun, a run laid out as spill
// writes one.
func (o *mapCollector) drainToMemory() error {
	var run bytes.Buffer
	sections := ifile.NewSectionWriter(&run)
	_, err := o.drain(sections)
	if err == nil {
		err = sections.Close()
	}
	if err != nil {
		return fmt.Errorf("the map buffer's last run: %w", err)
	}
	o.memRun = run.Bytes()
	return nil
}

// memRunName names the in-memory run in errors.
const memRunName = "the map buffer's last run"

// runInputs returns partition r of every run: the spills, and the run in
// memory if there is one.
func (o *mapCollector) runInputs(r int) ([]filemerge.Input, error) {
	inputs := make([]filemerge.Input, 0, len(o.spills)+1)
	for _, path := range o.spills {
		inputs = append(inputs, filemerge.Input{Path: path, Section: r})
	}
	if o.memRun != nil {
		offset, length, err := ifile.SectionRange(bytes.NewReader(o.memRun), int64(len(o.memRun)), memRunName, r)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, filemerge.Input{Path: memRunName, Section: -1, Data: o.memRun[offset : offset+length]})
	}
	return inputs, nil
}

// fitsInMemory reports whether the whole output is in the buffer, of at
// most max bytes: nothing spilled, and no CombineTask to run over a run.
// It recounts the buffer once Map is done (the input forgotten), so that
// the bytes of strings in the input count too: the output holds copies.
func (o *mapCollector) fitsInMemory(max int64) bool {
	if len(o.spills) > 0 || o.app.CombineTask != nil || o.buf.Bytes() > max {
		return false
	}
	o.buf.Recount()
	return o.buf.Bytes() <= max
}

// finishInMemory returns the attempt's output, one section per
// partition, as bytes; only when fitsInMemory.
func (o *mapCollector) finishInMemory() ([]byte, error) {
	var out bytes.Buffer
	if err := o.writeSections(&out); err != nil {
		return nil, fmt.Errorf("write the map output: %w", err)
	}
	return out.Bytes(), nil
}

// writeSections writes the output to w, one section per partition: the
// buffer's pairs, or the spilled runs merged.
func (o *mapCollector) writeSections(w io.Writer) error {
	sections := ifile.NewSectionWriter(w)
	var err error
	if len(o.spills) == 0 {
		var n int64
		var ferr error
		err = safeCall("Combine", func() { n, ferr = o.drain(sections) })
		if err == nil {
			err = ferr
		}
		o.stats.writtenRecords = n
	} else if o.app.CombineTask != nil {
		err = o.combineRuns(sections)
	} else {
		err = o.mergeRuns(sections)
	}
	if err == nil {
		err = sections.Close()
	}
	if err != nil {
		return err
	}
	o.stats.outputBytes = sections.Size()
	return nil
}

// mergeRuns merges, partition by partition, the spilled runs into
// sections, combining equal keys again if there is a combiner.
func (o *mapCollector) mergeRuns(sections *ifile.SectionWriter) error {
	for r := range o.nReduce {
		out, err := sections.Next()
		if err != nil {
			return err
		}
		inputs, err := o.runInputs(r)
		if err != nil {
			return err
		}
		n, err := o.mergePartition(inputs, r, out)
		if err != nil {
			return err
		}
		o.stats.writtenRecords += n
	}
	return nil
}

// mergePartition merges partition r of the runs into out.
func (o *mapCollector) mergePartition(inputs []filemerge.Input, r int, out *ifile.Writer) (int64, error) {
	merged, err := filemerge.Open(inputs, func(n int) string { return o.mergePath(r, n) })
	if err != nil {
		return 0, err
	}
	defer merged.Close()
	var n int64
	write := func(key string, values []string) error {
		for _, v := range values {
			if err := out.Write(key, v); err != nil {
				return err
			}
			n++
		}
		return nil
	}
	if o.app.Combine != nil {
		write = func(key string, values []string) error {
			v := values[0]
			if len(values) > 1 {
				if err := safeCall("Combine", func() { v = o.app.Combine(key, values) }); err != nil {
					return err
				}
			}
			n++
			return out.Write(key, v)
		}
	}
	err = forEachGroup(merged, write)
	return n, err
}

// discard empties the buffer and removes the spilled runs: the attempt
// failed.
func (o *mapCollector) discard() {
	o.buf.Reset()
	o.removeRuns()
}

// removeRuns removes the spilled runs and drops the one in memory.
func (o *mapCollector) removeRuns() {
	for _, path := range o.spills {
		os.Remove(path)
	}
	o.memRun = nil
}

// forEachGroup reads sorted records from in and calls fn once per key
// with that key's values, in order. The values slice is reused for the
// next key: fn may keep the strings, not the slice.
func forEachGroup(in merge.Source, fn func(key string, values []string) error) error {
	var values []string
	key, value, err := in.Next()
	for err == nil {
		values = append(values[:0], value)
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
		clear(values)
		if cap(values) > maxKeptValues {
			values = nil // one hot key's room is not kept for all the rest
		}
		key = next
	}
	if err != io.EOF {
		return err
	}
	return nil
}
