package coordinator

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"6.5840/mr/atomicfile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/task"
)

// A committed reduce output is published as mr-out-R. A failed job moves
// it aside to its attempt's staged name (jobfiles.StagedOutput, which the
// journal's commit line names), so that no partial answer looks like a
// whole one; a resumed job checks it against the size and checksum its
// commit recorded and moves it back, or runs the reduce task again.

// crcTable is the CRC-32C table of output checksums.
var crcTable = crc32.MakeTable(crc32.Castagnoli)

// outputSum returns the size and CRC-32C of the file at path.
func outputSum(path string) (int64, uint32, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := crc32.New(crcTable)
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, 0, fmt.Errorf("read %s: %w", path, err)
	}
	return n, h.Sum32(), nil
}

// matches reports whether the file at path is commit's output, and if not
// why.
func matches(path string, commit journal.Commit) (bool, string) {
	size, sum, err := outputSum(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return false, "missing"
	case err != nil:
		return false, err.Error()
	case size != commit.Size || sum != commit.CRC:
		return false, fmt.Sprintf("%d bytes with CRC-32C %08x, committed as %d bytes with %08x", size, sum, commit.Size, commit.CRC)
	}
	return true, ""
}

// checkOutputs keeps the journal's commits whose outputs are still on
// disk as committed: a reduce task's mr-out-R, or its copy moved aside by
// a failed start, which it moves back. A reduce commit whose output is
// missing or differs is dropped, so the task runs again; a differing
// mr-out-R is removed, as no part of an answer.
func (c *Coordinator) checkOutputs(commits []journal.Commit) ([]journal.Commit, error) {
	kept := commits[:0:0]
	moved := false
	for _, commit := range commits {
		id := commit.Attempt
		if id.Task.Kind != task.Reduce {
			kept = append(kept, commit)
			continue
		}
		final := filepath.Join(c.cfg.Dir, jobfiles.Output(id.Task.Index))
		hidden := filepath.Join(c.cfg.Dir, jobfiles.StagedOutput(id.Task.Index, id.Attempt))
		okFinal, whyFinal := matches(final, commit)
		if okFinal {
			kept = append(kept, commit)
			continue
		}
		okHidden, whyHidden := matches(hidden, commit)
		if okHidden {
			if err := os.Rename(hidden, final); err != nil {
				return nil, fmt.Errorf("move %s back: %w", final, err)
			}
			moved = true
			kept = append(kept, commit)
			continue
		}
		c.log.Warn("committed output is missing or damaged; its reduce task runs again", "attempt", id,
			"output", jobfiles.Output(id.Task.Index), "published", whyFinal, "moved_aside", whyHidden)
		for _, path := range []string{final, hidden} {
			if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("remove damaged output: %w", err)
			}
		}
	}
	if moved {
		if err := atomicfile.SyncDir(c.cfg.Dir); err != nil {
			return nil, err
		}
	}
	return kept, nil
}

// hideOutputs moves the committed outputs of reduce tasks aside, each to
// its attempt's staged name, so that a failed job leaves no partial answer
// in mr-out-*; the journal keeps them for a resumed job.
func (c *Coordinator) hideOutputs(committed []task.AttemptID) error {
	var errs []error
	for _, id := range committed {
		final := filepath.Join(c.cfg.Dir, jobfiles.Output(id.Task.Index))
		hidden := filepath.Join(c.cfg.Dir, jobfiles.StagedOutput(id.Task.Index, id.Attempt))
		if err := os.Rename(final, hidden); err != nil {
			errs = append(errs, fmt.Errorf("move %s aside: %w", final, err))
		}
	}
	if len(committed) > 0 {
		errs = append(errs, atomicfile.SyncDir(c.cfg.Dir))
	}
	return errors.Join(errs...)
}
