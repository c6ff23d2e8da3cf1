package worker

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"6.5840/mr/ifile"
	"6.5840/mr/merge"
)

// maxMergeFanIn is the most sorted files merged at once; more are first
// merged in batches, so that a reduce over thousands of map outputs keeps
// few files open.
const maxMergeFanIn = 128

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

// mergeFiles opens the sorted intermediate files at paths as one merged
// stream. With more than maxMergeFanIn files it first merges batches of
// them into scratch files named by scratchPath(n).
func mergeFiles(paths []string, scratchPath func(n int) string) (*mergedFiles, error) {
	m := &mergedFiles{}
	for len(paths) > maxMergeFanIn {
		var next []string
		for i := 0; i < len(paths); i += maxMergeFanIn {
			batch := paths[i:min(i+maxMergeFanIn, len(paths))]
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
			next = append(next, out)
		}
		paths = next
	}
	sources := make([]merge.Source, 0, len(paths))
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			m.Close()
			return nil, fmt.Errorf("map output: %w", err)
		}
		m.open = append(m.open, f)
		rd, err := ifile.NewReader(f, path)
		if err != nil {
			m.Close()
			return nil, err
		}
		m.readers = append(m.readers, rd)
		sources = append(sources, rd)
	}
	src, err := merge.New(sources)
	if err != nil {
		m.Close()
		return nil, err
	}
	m.Source = src
	return m, nil
}

// mergeInto merges the sorted files at paths into a new sorted file out.
func mergeInto(paths []string, out string) error {
	in, err := mergeFiles(paths, nil)
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
