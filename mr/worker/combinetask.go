package worker

import (
	"context"
	"fmt"
	"io"

	"6.5840/mr/filemerge"
	"6.5840/mr/ifile"
)

// combineRuns runs the application's CombineTask once over the spilled
// runs, merged partition by partition into one stream in (partition, key)
// order, and writes what it emits to sections, one per partition. Each
// pair goes to its key's partition, so the pairs must come in (partition,
// key) order: a combiner that writes keys in the order it reads them does.
func (o *mapCollector) combineRuns(sections *ifile.SectionWriter) error {
	ctx := o.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	in := &partitionStream{o: o}
	defer in.close()
	var out *ifile.Writer
	cur := -1 // the partition of out
	var last string
	emit := func(key, value string) {
		p := o.partitionOf(key)
		if p < cur || (p == cur && key < last) {
			panic(errAbort{fmt.Errorf("combiner output out of order: %q (partition %d) after %q (partition %d)", key, p, last, cur)})
		}
		for ; cur < p; cur++ {
			var err error
			if out, err = sections.Next(); err != nil {
				panic(errAbort{err})
			}
		}
		if err := out.Write(key, value); err != nil {
			panic(errAbort{err})
		}
		last = key
		o.stats.writtenRecords++
	}
	var err error
	if perr := o.call("combine", func() { err = o.app.CombineTask(ctx, o.at, in, emit) }); perr != nil {
		return perr
	}
	if err != nil {
		return err
	}
	for ; cur < o.nReduce-1; cur++ {
		if _, err := sections.Next(); err != nil {
			return err
		}
	}
	return nil
}

// partitionStream reads the spilled runs of a map attempt merged one
// partition after another, opening each partition's merge when the last
// one ends.
type partitionStream struct {
	o      *mapCollector
	next   int               // the partition to open next
	merged *filemerge.Merged // the open partition's, or nil
}

func (s *partitionStream) Next() (string, string, error) {
	for {
		if s.merged != nil {
			key, value, err := s.merged.Next()
			if err != io.EOF {
				return key, value, err
			}
			s.close()
		}
		if s.next == s.o.nReduce {
			return "", "", io.EOF
		}
		r := s.next
		s.next++
		inputs := make([]filemerge.Input, len(s.o.spills))
		for i, path := range s.o.spills {
			inputs[i] = filemerge.Input{Path: path, Section: r}
		}
		merged, err := filemerge.Open(inputs, func(n int) string { return s.o.mergePath(r, n) })
		if err != nil {
			return "", "", err
		}
		s.merged = merged
	}
}

func (s *partitionStream) close() {
	if s.merged != nil {
		s.merged.Close()
		s.merged = nil
	}
}

// partitionOf returns the partition of key, as the map buffer finds it.
func (o *mapCollector) partitionOf(key string) int {
	if o.app.Partition != nil {
		return o.app.Partition(key, o.nReduce)
	}
	return int(hash(key)&hashMask) % o.nReduce
}
