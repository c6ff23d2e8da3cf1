package worker

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"6.5840/mr/ifile"
	"6.5840/mr/merge"
	"6.5840/mr/task"
)

// maxMergeFanIn is the most sorted files merged at once; more are first
// merged in batches, so that a reduce over thousands of map outputs keeps
// few files open.
const maxMergeFanIn = 128

// sortedInput is a sorted stream in a file: one section of a map output
// file, or with section < 0 a whole intermediate file (a spill or a
// partial merge).
type sortedInput struct {
	path    string
	section int
	// owner is the map attempt whose output this is; errors reading it
	// are lostOutputErrors. It is zero for a scratch file.
	owner task.AttemptID
}

// annotate marks err, met reading the input, as a lost map output if the
// input is one.
func (in sortedInput) annotate(err error) error {
	if err == nil || err == io.EOF || in.owner.Attempt == 0 {
		return err
	}
	var lost *lostOutputError
	if errors.As(err, &lost) {
		return err
	}
	return &lostOutputError{Map: in.owner, Err: err}
}

// annotated is a Source whose errors name the map output it reads.
type annotated struct {
	src merge.Source
	in  sortedInput
}

func (a annotated) Next() (string, string, error) {
	k, v, err := a.src.Next()
	return k, v, a.in.annotate(err)
}

// wholeFiles returns inputs for whole intermediate files.
func wholeFiles(paths []string) []sortedInput {
	inputs := make([]sortedInput, len(paths))
	for i, p := range paths {
		inputs[i] = sortedInput{path: p, section: -1}
	}
	return inputs
}

// open opens the input's file and a Reader for its stream.
func (in sortedInput) open() (*os.File, *ifile.Reader, error) {
	f, err := os.Open(in.path)
	if err != nil {
		return nil, nil, in.annotate(fmt.Errorf("map output: %w", err))
	}
	var rd *ifile.Reader
	if in.section < 0 {
		rd, err = ifile.NewReader(f, in.path)
	} else {
		var info os.FileInfo
		if info, err = f.Stat(); err == nil {
			rd, err = ifile.OpenSection(f, info.Size(), in.path, in.section)
		}
	}
	if err != nil {
		f.Close()
		return nil, nil, in.annotate(err)
	}
	return f, rd, nil
}

// mergedFiles is an open merged stream over sorted intermediate files.
type mergedFiles struct {
	merge.Source
	open    []*os.File
	readers []*ifile.Reader
	scratch []string
}

// Close closes the files and removes the scratch files of batch merges.
func (m *mergedFiles) Close() {
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

// mergeFiles opens the sorted inputs as one merged stream. With more than
// maxMergeFanIn inputs it first merges batches of them into scratch files
// named by scratchPath(n).
func mergeFiles(inputs []sortedInput, scratchPath func(n int) string) (*mergedFiles, error) {
	m := &mergedFiles{}
	for len(inputs) > maxMergeFanIn {
		var next []sortedInput
		for i := 0; i < len(inputs); i += maxMergeFanIn {
			batch := inputs[i:min(i+maxMergeFanIn, len(inputs))]
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
			next = append(next, sortedInput{path: out, section: -1})
		}
		inputs = next
	}
	sources := make([]merge.Source, 0, len(inputs))
	for _, in := range inputs {
		f, rd, err := in.open()
		if err != nil {
			m.Close()
			return nil, err
		}
		m.open = append(m.open, f)
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

// mergeInto merges the sorted inputs into a new sorted file out.
func mergeInto(inputs []sortedInput, out string) error {
	in, err := mergeFiles(inputs, nil)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	w := bufio.NewWriterSize(f, spillBufferSize)
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
