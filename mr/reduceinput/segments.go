package reduceinput

import (
	"bytes"
	"cmp"
	"fmt"
	"os"
	"slices"

	"6.5840/mr/filemerge"
	"6.5840/mr/ifile"
)

// Small map outputs are appended to segment files, many to a file
// (mr/worker). A reducer reads the ones it needs from each file in a few
// large reads, each of at most segmentReadBytes of consecutive outputs,
// and keeps only its partition's section of each, checked, in memory, up
// to inMemoryBytes in all: a tiny map output then costs the reducer no
// open and no read of its own, and its section no place in a batch
// merge's scratch file. Outputs past either bound are read where they are,
// like a map output with a file of its own.
const (
	segmentReadBytes = 4 << 20
	inMemoryBytes    = 64 << 20
)

// segmentedOutput is a map output in a segment file, still to read: m is
// its map task, in its input as it would be read in place.
type segmentedOutput struct {
	m  int
	in *filemerge.Input
}

// readSegments reads the sections of the outputs queued in segment files,
// as the package's constants describe. An output whose file cannot be
// read or whose bytes are damaged is reported lost, and waited for.
func (g *Gathering) readSegments() {
	queued := g.segmented
	g.segmented = nil
	slices.SortFunc(queued, func(a, b segmentedOutput) int {
		return cmp.Or(cmp.Compare(a.in.Path, b.in.Path), cmp.Compare(a.in.Offset, b.in.Offset))
	})
	var chunk []byte
	for i := 0; i < len(queued); {
		// The outputs of one read: consecutive ones of one file, from
		// queued[i] to queued[j-1], within segmentReadBytes.
		first := queued[i].in
		j := i + 1
		for j < len(queued) && queued[j].in.Path == first.Path &&
			queued[j].in.Offset+queued[j].in.Length-first.Offset <= segmentReadBytes {
			j++
		}
		last := queued[j-1].in
		span := last.Offset + last.Length - first.Offset
		if span > segmentReadBytes || g.inMemory >= inMemoryBytes {
			for _, o := range queued[i:j] {
				g.found[o.m] = o.in
			}
			i = j
			continue
		}
		chunk = slices.Grow(chunk[:0], int(span))[:span]
		n, err := readAt(first.Path, chunk, first.Offset)
		for _, o := range queued[i:j] {
			start := o.in.Offset - first.Offset
			if start+o.in.Length > int64(n) {
				// Past what could be read: a segment cut short loses
				// the outputs after the cut, not those before it.
				g.markLost(o.in.Owner, err)
				continue
			}
			data := chunk[start:][:o.in.Length]
			section, serr := sectionOf(data, o.in)
			if serr != nil {
				g.markLost(o.in.Owner, serr)
				continue
			}
			if section == nil {
				// No records for this partition: nothing to merge.
				continue
			}
			in := *o.in
			in.Data, in.Section = section, -1
			g.found[o.m] = &in
			g.inMemory += int64(len(section))
		}
		i = j
	}
}

// readAt reads p from the file at path, from offset on, and returns how
// many bytes it read; fewer than len(p) only with an error, which says why.
func readAt(path string, p []byte, offset int64) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("map output: %w", err)
	}
	defer f.Close()
	n, err := f.ReadAt(p, offset)
	if err != nil {
		return n, fmt.Errorf("map output: read %d bytes at offset %d of %s: %w", len(p), offset, path, err)
	}
	return n, nil
}

// sectionOf returns a copy of in's partition's section of the map output
// data, once checked whole; nil if it holds no record.
func sectionOf(data []byte, in *filemerge.Input) ([]byte, error) {
	// Errors name the file, and are told where in it: a reducer checks
	// thousands of sections, and naming each up front would cost more
	// than checking it.
	where := func(err error) error {
		return fmt.Errorf("map output of %d bytes at offset %d, section %d: %w", in.Length, in.Offset, in.Section, err)
	}
	offset, length, err := ifile.SectionRange(bytes.NewReader(data), int64(len(data)), in.Path, in.Section)
	if err != nil {
		return nil, where(err)
	}
	section := data[offset : offset+length]
	records, err := ifile.Verify(bytes.NewReader(section), in.Path)
	if err != nil {
		return nil, where(err)
	}
	if records == 0 {
		return nil, nil
	}
	return bytes.Clone(section), nil
}
