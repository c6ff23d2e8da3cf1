package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// AttemptRun says that Count consecutive map tasks, from Start on,
// committed the same attempt number, and that their outputs are served by
// the same server: an index into the job's server table, where 0 means
// the job's shared folder. A map output in a segment file is a run of
// one, with its Extent.
type AttemptRun struct {
	Start, Count, Attempt, Server int
	Extent                        jobfiles.Extent
}

// LocationPage is a page of the map locations, the committed attempt and
// server of every map task, which a reduce attempt needs before it reads
// anything. The first page comes with the assignment; the reducer asks
// MapLocations for the next until it has every map task and every server.
// A page is bounded in bytes however many map tasks and workers a job
// has: at a million map tasks on ten thousand workers the locations are
// megabytes, and one reply carrying them whole would be as large, and so
// would the buffer its connection's encoder keeps afterwards.
//
// Runs are encoded (AppendRun), so that the coordinator encodes the
// locations once for every reducer while the map commits do not change,
// and most jobs (every map task attempt 1, in the shared folder) fit in a
// few bytes.
type LocationPage struct {
	// Maps is how many map tasks the job has.
	Maps int
	// From is the map task the first of Runs starts at.
	From int
	// Runs are consecutive runs of map tasks from From on.
	Runs []byte
	// Servers are entries of the job's server table from ServersFrom on;
	// entry 0 is "", the shared folder. The table only grows.
	ServersFrom int
	Servers     []string
	// TotalServers is how many entries the table has.
	TotalServers int
}

// MapLocationsArgs asks for the page of map locations that holds map task
// From, with the server table's entries from KnownServers on.
type MapLocationsArgs struct {
	Header
	// Attempt is the reduce attempt asking.
	Attempt      task.AttemptID
	From         int
	KnownServers int
}

// MapLocationsReply answers MapLocations.
type MapLocationsReply struct {
	ReplyHeader
	// Revoked means the attempt no longer counts.
	Revoked bool
	Page    LocationPage
}

// AppendRun appends to b the encoding of a run of count map tasks that
// committed attempt (or NoOutput, or Pending) on server: three varints,
// the last server<<1 | 1 when the output is in a segment file, which four
// more varints locate (AppendExtentRun).
func AppendRun(b []byte, count, attempt, server int) []byte {
	b = binary.AppendUvarint(b, uint64(count))
	b = binary.AppendVarint(b, int64(attempt))
	return binary.AppendUvarint(b, uint64(server)<<1)
}

// AppendExtentRun appends to b the encoding of a run of one map task that
// committed attempt on server, its output at e in a segment file.
func AppendExtentRun(b []byte, attempt, server int, e jobfiles.Extent) []byte {
	b = binary.AppendUvarint(b, 1)
	b = binary.AppendVarint(b, int64(attempt))
	b = binary.AppendUvarint(b, uint64(server)<<1|1)
	b = binary.AppendUvarint(b, uint64(e.Segment.Task.Index))
	b = binary.AppendUvarint(b, uint64(e.Segment.Attempt))
	b = binary.AppendUvarint(b, uint64(e.Offset))
	return binary.AppendUvarint(b, uint64(e.Length))
}

// errBadRuns is wrapped by every error about a page's encoded runs.
var errBadRuns = errors.New("malformed map locations")

// EachRun calls yield with each of the page's runs, in order, after
// checking that it lies within the job's map tasks and names a server of
// the table; it stops at the first error, its own or yield's. yield must
// not keep the run it is passed: it is the same one each time, refilled
// (a reducer of a million map tasks gets a million runs).
func (p *LocationPage) EachRun(yield func(*AttemptRun) error) error {
	b, start := p.Runs, p.From
	var r AttemptRun
	for i := 0; i < len(b); {
		count, i1 := uvarintAt(b, i)
		attempt, i2 := varintAt(b, i1)
		serverBits, i3 := uvarintAt(b, i2)
		if i1 < 0 || i2 < 0 || i3 < 0 {
			return fmt.Errorf("%w: a run at map %d is cut short", errBadRuns, start)
		}
		i = i3
		server := serverBits >> 1
		r = AttemptRun{Start: start, Count: int(count), Attempt: int(attempt), Server: int(server)}
		if serverBits&1 != 0 {
			var err error
			if r.Extent, i, err = p.extentAt(b, i, start, count); err != nil {
				return err
			}
		}
		switch {
		case count < 1 || count > uint64(p.Maps-start):
			return fmt.Errorf("%w: a run of %d maps at map %d, of %d", errBadRuns, count, start, p.Maps)
		case attempt < Pending || attempt > int64(maxAttempt):
			return fmt.Errorf("%w: map %d has attempt %d", errBadRuns, start, attempt)
		case server >= uint64(p.TotalServers):
			return fmt.Errorf("%w: map %d is on server %d of %d", errBadRuns, start, server, p.TotalServers)
		}
		if err := yield(&r); err != nil {
			return err
		}
		start += r.Count
	}
	return nil
}

// maxAttempt bounds the attempt numbers a page may hold; maxSegmentBytes
// the offsets and lengths of outputs in segment files.
const (
	maxAttempt      = 1 << 30
	maxSegmentBytes = 1 << 62
)

// extentAt decodes the extent at b[i:] of the run of count map tasks at
// map start, and returns it with the index after it.
func (p *LocationPage) extentAt(b []byte, i, start int, count uint64) (jobfiles.Extent, int, error) {
	segMap, i1 := uvarintAt(b, i)
	segAttempt, i2 := uvarintAt(b, i1)
	offset, i3 := uvarintAt(b, i2)
	length, i4 := uvarintAt(b, i3)
	switch {
	case i1 < 0 || i2 < 0 || i3 < 0 || i4 < 0:
		return jobfiles.Extent{}, -1, fmt.Errorf("%w: the segment of map %d is cut short", errBadRuns, start)
	case count != 1:
		return jobfiles.Extent{}, -1, fmt.Errorf("%w: a run of %d maps at map %d in a segment", errBadRuns, count, start)
	case segMap >= uint64(p.Maps) || segAttempt < 1 || segAttempt > maxAttempt:
		return jobfiles.Extent{}, -1, fmt.Errorf("%w: map %d is in the segment of map %d attempt %d", errBadRuns, start, segMap, segAttempt)
	case length < 1 || offset >= maxSegmentBytes || length >= maxSegmentBytes:
		return jobfiles.Extent{}, -1, fmt.Errorf("%w: map %d is %d bytes at offset %d of its segment", errBadRuns, start, length, offset)
	}
	seg := task.AttemptID{Task: task.ID{Kind: task.Map, Index: int(segMap)}, Attempt: int(segAttempt)}
	return jobfiles.Extent{Segment: seg, Offset: int64(offset), Length: int64(length)}, i4, nil
}

// uvarintAt decodes the uvarint at b[i:] and returns it with the index
// after it, or a negative index if there is none (i negative, past the
// end, or cut short). A one-byte value, the usual case, takes no call: a
// reducer of a million map tasks decodes three million of them.
func uvarintAt(b []byte, i int) (uint64, int) {
	if i < 0 || i >= len(b) {
		return 0, -1
	}
	if c := b[i]; c < 0x80 {
		return uint64(c), i + 1
	}
	v, n := binary.Uvarint(b[i:])
	if n <= 0 {
		return 0, -1
	}
	return v, i + n
}

// varintAt is uvarintAt for a zig-zag encoded signed varint.
func varintAt(b []byte, i int) (int64, int) {
	u, next := uvarintAt(b, i)
	return int64(u>>1) ^ -int64(u&1), next
}

// FetchPage asks for the page of map locations holding map task from,
// with the server table from entry known on.
type FetchPage func(from, known int) (LocationPage, error)

// GatherLocations collects the map locations page by page: first is the
// page the assignment came with, and fetch asks for the others. It calls
// run with every map task's run in order, each run cut to the map tasks
// not yet seen (a page fetched after the map commits changed may start
// before them), and returns the server table. Pages may come from
// different versions of the locations: each map task's entry is then one
// that was true when its page was made, and a reducer that finds an
// output gone reports it lost, as for any lost output.
func GatherLocations(first LocationPage, fetch FetchPage, run func(*AttemptRun) error) ([]string, error) {
	page, maps := first, first.Maps
	next := 0
	var servers []string
	for {
		before, known := next, len(servers)
		switch skip := len(servers) - page.ServersFrom; {
		case page.Maps != maps:
			return nil, fmt.Errorf("%w: a page for %d map tasks, the job has %d", errBadRuns, page.Maps, maps)
		case skip < 0:
			return nil, fmt.Errorf("%w: servers from entry %d, want %d", errBadRuns, page.ServersFrom, len(servers))
		case skip < len(page.Servers):
			servers = append(servers, page.Servers[skip:]...)
		}
		if page.From > next {
			return nil, fmt.Errorf("%w: a page from map %d, want map %d", errBadRuns, page.From, next)
		}
		err := page.EachRun(func(r *AttemptRun) error {
			end := r.Start + r.Count
			if end <= next {
				return nil
			}
			r.Count, r.Start = end-next, next
			next = end
			return run(r)
		})
		switch {
		case err != nil:
			return nil, err
		case next == maps && len(servers) >= page.TotalServers:
			return servers, nil
		case next == before && len(servers) == known:
			return nil, fmt.Errorf("%w: a page from map %d with nothing new", errBadRuns, page.From)
		}
		if page, err = fetch(next, len(servers)); err != nil {
			return nil, err
		}
	}
}

// Locations holds the attempt and the server of every map task, from the
// runs GatherLocations passes on (Add), in order from map task 0, and
// where in a segment file each output is; Extents is nil while no output
// is in one.
type Locations struct {
	Attempts, Servers []int
	Extents           []jobfiles.Extent
}

// Add appends r's map tasks.
func (e *Locations) Add(r *AttemptRun) error {
	if r.Extent.InSegment() && e.Extents == nil {
		e.Extents = make([]jobfiles.Extent, len(e.Attempts), cap(e.Attempts))
	}
	for range r.Count {
		e.Attempts = append(e.Attempts, r.Attempt)
		e.Servers = append(e.Servers, r.Server)
		if e.Extents != nil {
			e.Extents = append(e.Extents, r.Extent)
		}
	}
	return nil
}
