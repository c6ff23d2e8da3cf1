// Package atomicfile writes files that readers see either whole or not at
// all: data goes to a temporary file in the target directory, which is
// synced and then renamed over the target.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

const (
	// bufferSize is the write buffer of a File.
	bufferSize = 256 << 10
	// fileMode is the mode of a committed file (a temp file starts 0600).
	fileMode = 0o644
)

// writers recycles the write buffers: a map task writes one file per
// reduce partition, and tiny tasks would otherwise spend their time
// clearing fresh buffers.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufferSize) }}

// Durability says whether Commit syncs the file to disk before renaming it.
type Durability bool

const (
	// Durable files survive a machine crash once committed: final outputs.
	Durable Durability = true
	// Volatile files survive a process crash but not a machine crash:
	// intermediate files, which are recomputed if lost.
	Volatile Durability = false
)

// File is a file being written. Write to it, then Commit to make it visible
// under its final name, or Abort to discard it; after either it takes no
// more writes.
type File struct {
	path       string
	durability Durability
	tmp        *os.File
	// private is set when tmp was made private to its owner (0600): it
	// gets fileMode before the rename.
	private bool
	// inPlace is set for a file written at its final path (CreateInPlace):
	// Commit does not rename it.
	inPlace bool
	*bufio.Writer
}

// CreateInPlace starts writing the file path at path itself, replacing
// whatever is there: there is no temporary file, and no rename at Commit.
// It is for files of a name no other writer uses, that nobody reads before
// their writer has said they are complete, such as a map attempt's output,
// which a reducer opens only once the attempt has committed; it saves a
// rename per file, which counts when tasks are tiny. Abort removes the
// file.
func CreateInPlace(path string, durability Durability) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	w := writers.Get().(*bufio.Writer)
	w.Reset(f)
	return &File{path: path, durability: durability, tmp: f, inPlace: true, Writer: w}, nil
}

// tempSuffix ends the first temporary name tried for a file.
const tempSuffix = "-tmp"

// Create starts writing the file path. Nothing appears at path until
// Commit. The temporary file is tempPrefix, path's name and "-tmp", in
// the same folder, or if that exists (another writer of the same path)
// that with a random suffix. A name that already starts with tempPrefix
// (itself a scratch name) is not prefixed twice, so that the caller's
// cleanup, which recognises its files by their names, recognises the
// temporary one too.
func Create(path string, durability Durability, tempPrefix string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	prefix := base
	if !strings.HasPrefix(base, tempPrefix) {
		prefix = tempPrefix + base
	}
	// A name of its own and the final mode at once save a random name
	// and a chmod per file: they count when tasks are tiny.
	private := false
	tmp, err := os.OpenFile(filepath.Join(dir, prefix+tempSuffix), os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if errors.Is(err, fs.ErrExist) {
		tmp, err = os.CreateTemp(dir, prefix+"-*")
		private = true
	}
	if err != nil {
		return nil, fmt.Errorf("create temp file for %s: %w", path, err)
	}
	w := writers.Get().(*bufio.Writer)
	w.Reset(tmp)
	return &File{path: path, durability: durability, tmp: tmp, private: private, Writer: w}, nil
}

// Commit flushes, syncs (if Durable) and closes the file and renames it to its final
// path. On error the temporary file is removed.
func (f *File) Commit() error {
	err := f.Flush()
	f.release()
	if err == nil && f.private {
		err = f.tmp.Chmod(fileMode)
	}
	if err == nil && f.durability == Durable {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && !f.inPlace {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		os.Remove(f.tmp.Name())
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort discards the file. It is safe to call after Commit, when it does
// nothing.
func (f *File) Abort() {
	f.release()
	if err := f.tmp.Close(); errors.Is(err, os.ErrClosed) {
		return
	}
	os.Remove(f.tmp.Name())
}

// release returns the write buffer to the pool; the File takes no more
// writes.
func (f *File) release() {
	if f.Writer == nil {
		return
	}
	f.Writer.Reset(nil)
	writers.Put(f.Writer)
	f.Writer = nil
}

// SyncDir makes the entries of directory dir (files created, renamed or
// removed in it) durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}
