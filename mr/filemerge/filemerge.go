// Package filemerge merges sorted intermediate files (mr/ifile) into one
// sorted stream: one section of each of a reducer's map outputs, or one
// partition of each of a map attempt's spilled runs. At most MaxFanIn
// files are open at once; more are first merged in batches into scratch
// files, which Close removes.
//
// An input that is a committed map output names its map attempt (Owner):
// an error met opening or reading it, before or while records stream out,
// comes back as a *LostError naming that attempt, which a reducer reports
// as a lost map output. Equal keys come in the order of the inputs
// (mr/merge's tie-break), so the stream is deterministic.
package filemerge

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"6.5840/mr/ifile"
	"6.5840/mr/merge"
	"6.5840/mr/task"
)

const (
	// MaxFanIn is the most sorted files merged at once; more are first
	// merged in batches, so that a reduce over thousands of map outputs
	// keeps few files open.
	MaxFanIn = 128
	// scratchBufferSize is the write buffer of a batch's scratch file.
	scratchBufferSize = 256 << 10
)

// Input is a sorted stream in a file: one section of a file of sections
// (a map output or a spilled run), or with Section < 0 a whole
// intermediate file (a fetched section, or a batch's scratch file).
type Input struct {
	Path    string
	Section int
	// Offset and Length, if Length is set, are where in Path the file of
	// sections is: a map output in a segment file.
	Offset, Length int64
	// Data, if not nil, is the stream itself, already read and checked
	// (one section of a small map output): Path only names it.
	Data []byte
	// Owner is the map attempt whose output this is; errors reading it
	// are LostErrors. It is zero for a file of no map output's (a spill,
	// a scratch file).
	Owner task.AttemptID
}

// LostError is a committed map output that could not be read.
type LostError struct {
	Map task.AttemptID
	Err error
}

func (e *LostError) Error() string { return fmt.Sprintf("output of %v lost: %v", e.Map, e.Err) }
func (e *LostError) Unwrap() error { return e.Err }

// annotate marks err, met reading the input, as a lost map output if the
// input is one.
func (in Input) annotate(err error) error {
	if err == nil || err == io.EOF || in.Owner.Attempt == 0 {
		return err
	}
	var lost *LostError
	if errors.As(err, &lost) {
		return err
	}
	return &LostError{Map: in.Owner, Err: err}
}

// annotated is a Source whose errors name the map output it reads.
type annotated struct {
	src merge.Source
	in  Input
}

func (a annotated) Next() (string, string, error) {
	k, v, err := a.src.Next()
	return k, v, a.in.annotate(err)
}

// open opens the input's file and a Reader for its stream.
func (in Input) open() (*os.File, *ifile.Reader, error) {
	if in.Data != nil {
		rd, err := ifile.NewBytesReader(in.Data, in.Path)
		return nil, rd, in.annotate(err)
	}
	f, err := os.Open(in.Path)
	if err != nil {
		return nil, nil, in.annotate(fmt.Errorf("map output: %w", err))
	}
	var rd *ifile.Reader
	if in.Section < 0 {
		rd, err = ifile.NewReader(f, in.Path)
	} else if in.Length > 0 {
		name := fmt.Sprintf("%s (%d bytes at offset %d)", in.Path, in.Length, in.Offset)
		rd, err = ifile.OpenSection(io.NewSectionReader(f, in.Offset, in.Length), in.Length, name, in.Section)
	} else {
		var info os.FileInfo
		if info, err = f.Stat(); err == nil {
			rd, err = ifile.OpenSection(f, info.Size(), in.Path, in.Section)
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, in.annotate(err)
	}
	return f, rd, nil
}

// Merged is an open merged stream over sorted intermediate files.
type Merged struct {
	merge.Source
	open    []*os.File
	readers []*ifile.Reader
	scratch []string
}

// Close closes the files and removes the scratch files of batch merges.
func (m *Merged) Close() {
	for _, r := range m.readers {
		r.Release()
	}
	for _, f := range m.open {
		f.Close()
	}
	for _, p := range m.scratch {
		os.Remove(p)
	}
}

// Open opens the sorted inputs as one merged stream. With more than
// MaxFanIn inputs in files it first merges batches of those into scratch
// files named by scratchPath(n); inputs already in memory (Data) hold no
// file open, and join the last merge as they are.
func Open(inputs []Input, scratchPath func(n int) string) (*Merged, error) {
	m := &Merged{}
	inFiles := slices.DeleteFunc(slices.Clone(inputs), func(in Input) bool { return in.Data != nil })
	if len(inFiles) > MaxFanIn {
		inMemory := slices.DeleteFunc(slices.Clone(inputs), func(in Input) bool { return in.Data == nil })
		merged, err := m.mergeBatches(inFiles, scratchPath)
		if err != nil {
			return nil, err
		}
		inputs = append(merged, inMemory...)
	}
	sources := make([]merge.Source, 0, len(inputs))
	for _, in := range inputs {
		f, rd, err := in.open()
		if err != nil {
			m.Close()
			return nil, err
		}
		if f != nil {
			m.open = append(m.open, f)
		}
		m.readers = append(m.readers, rd)
		sources = append(sources, annotated{src: rd, in: in})
	}
	src, err := merge.New(sources)
	if err != nil {
		m.Close()
		return nil, err
	}
	m.Source = src
	return m, nil
}

// mergeBatches merges the inputs, MaxFanIn at a time and again, into
// scratch files until at most MaxFanIn are left, and returns those.
func (m *Merged) mergeBatches(inputs []Input, scratchPath func(n int) string) ([]Input, error) {
	for len(inputs) > MaxFanIn {
		var next []Input
		for i := 0; i < len(inputs); i += MaxFanIn {
			batch := inputs[i:min(i+MaxFanIn, len(inputs))]
			if len(batch) == 1 {
				next = append(next, batch[0])
				continue
			}
			out := scratchPath(len(m.scratch))
			m.scratch = append(m.scratch, out)
			if err := mergeInto(batch, out); err != nil {
				m.Close()
				return nil, err
			}
			next = append(next, Input{Path: out, Section: -1})
		}
		inputs = next
	}
	return inputs, nil
}

// mergeInto merges the sorted inputs into a new sorted file out.
func mergeInto(inputs []Input, out string) error {
	in, err := Open(inputs, nil)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	w := bufio.NewWriterSize(f, scratchBufferSize)
	err = copyRecords(in, ifile.NewWriter(w))
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("merge into %s: %w", out, err)
	}
	return nil
}

// copyRecords writes every record of in to out and closes out.
func copyRecords(in merge.Source, out *ifile.Writer) error {
	for {
		k, v, err := in.Next()
		if err == io.EOF {
			return out.Close()
		}
		if err != nil {
			return err
		}
		if err := out.Write(k, v); err != nil {
			return err
		}
	}
}
