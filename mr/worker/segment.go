package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// DefaultSegmentMax is the largest map output, in bytes of the map
// buffer, that a worker appends to its segment file rather than write to
// a file of its own.
const DefaultSegmentMax = 1 << 20

// segment is the file in the job's shared folder that a worker appends
// its small map outputs to, one after another, each located by offset and
// length (jobfiles.Extent). On ext4 a new file costs from 30 to 300 µs,
// most of a tiny map task; with a segment, such a task creates none. The
// file is named after the attempt whose output came first, so that the
// coordinator's cleanup, which follows the list of attempts begun, finds
// it. A region whose attempt did not commit is never read, and stays
// until the job's cleanup removes the file.
type segment struct {
	dir string

	// mu guards f, owner and size.
	mu sync.Mutex
	// f is the open file, nil before the first output and after a write
	// failed (the next output starts a new file); owner is the attempt
	// that started it, and size its length.
	f     *os.File
	owner task.AttemptID
	size  int64
}

func newSegment(dir string) *segment { return &segment{dir: dir} }

// append writes map attempt id's output, data, at the end of the segment
// and returns where it is.
func (s *segment) append(id task.AttemptID, data []byte) (jobfiles.Extent, error) {
	if len(data) == 0 {
		return jobfiles.Extent{}, fmt.Errorf("map output of %v: empty", id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		name := filepath.Join(s.dir, jobfiles.Segment(id.Task.Index, id.Attempt))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, segmentMode)
		if err != nil {
			return jobfiles.Extent{}, fmt.Errorf("segment file: %w", err)
		}
		s.f, s.owner, s.size = f, id, 0
	}
	at := s.size
	if _, err := s.f.WriteAt(data, at); err != nil {
		// The region may be part written: start afresh with the next
		// output. Outputs already in this file stay readable.
		s.f.Close()
		s.f = nil
		return jobfiles.Extent{}, fmt.Errorf("map output of %v into %s: %w", id, jobfiles.Segment(s.owner.Task.Index, s.owner.Attempt), err)
	}
	s.size += int64(len(data))
	return jobfiles.Extent{Segment: s.owner, Offset: at, Length: int64(len(data))}, nil
}

// close closes the file; the coordinator's cleanup removes it.
func (s *segment) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// segmentMode is the segment file's mode, a committed map output's.
const segmentMode = 0o644
