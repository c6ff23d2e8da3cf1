// Package reduceinput gathers a reduce attempt's input: its partition's
// section of every committed map output, as one sorted stream.
//
// A section is read where it is, when it is in a folder of this machine:
// the job's shared folder (a map output no worker serves) or this
// worker's own folder (one it serves itself). Any other is fetched from
// the worker that serves it (mr/shuffle), checked end to end, into a
// local copy that Close removes. A map output that cannot be had (its
// server says it has none, or keeps failing; its file is missing or
// damaged while it is opened or merged in a batch) is reported lost
// through Locate, and the attempt waits, through Locate again, for the
// map task to commit an output anew, as it does for a map task whose
// output was pending from the start. Once no output is missing the
// sections are merged (mr/filemerge).
//
// A map output found damaged while its records stream into Reduce can no
// longer be waited for: the stream ends with a *filemerge.LostError, and
// the attempt with it.
//
// The package has a home of its own, rather than in mr/shuffle, because
// on one machine a reducer fetches nothing: mr/shuffle is the wire
// between workers, this is where a reducer's input comes from, across
// the wire or not.
package reduceinput

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"6.5840/mr/atomicfile"
	"6.5840/mr/filemerge"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
	"6.5840/mr/shuffle"
	"6.5840/mr/task"
)

// Locate reports the map outputs the attempt could not read (lost), and
// waits until some of the map tasks in want have an output, returning
// where those are. An error ends the gathering and is Open's.
type Locate func(ctx context.Context, lost []protocol.LostOutput, want []int) ([]protocol.OutputLocation, error)

// Config says where a reduce attempt's input is.
type Config struct {
	// Attempt is the reduce attempt: its partition is the section read,
	// and its id names the local copies and scratch files.
	Attempt task.AttemptID
	// Dir is the job's shared folder, where map outputs without a
	// server are; LocalDir holds this worker's own map outputs, and gets
	// the fetched copies of others' and the merge's scratch files.
	Dir, LocalDir string
	// MapAttempts holds the committed attempt of every map task, or
	// protocol.NoOutput or protocol.Pending; Servers where each is served
	// ("" for the shared folder; nil means "" for all).
	MapAttempts []int
	Servers     []string
	// Extents says where in a segment file each map output is, if in one
	// (nil for none).
	Extents []jobfiles.Extent
	// Self is where this worker serves its own map output, which it reads
	// from LocalDir; Fetcher gets the others'. Both are unset on one
	// machine.
	Self    string
	Fetcher *shuffle.Fetcher
	// Locate finds outputs that were lost or pending.
	Locate Locate
}

// Gathering is a reduce attempt finding its input.
type Gathering struct {
	cfg Config
	// found holds each map task's input once found.
	found []*filemerge.Input
	// lost and want are the outputs to report lost and the map tasks to
	// ask for, at the next Locate call.
	lost []protocol.LostOutput
	want []int
	// remote holds the outputs to fetch from other workers; segmented
	// those in segment files of the shared folder, to read.
	remote    []shuffle.Source
	segmented []segmentedOutput
	// inMemory counts the bytes of the sections read into memory;
	// segmentPaths holds the path of each segment file met, by the
	// attempt that started it.
	inMemory     int64
	segmentPaths map[task.AttemptID]string
	// fetchedPaths lists the local copies of fetched sections, removed by
	// Close; fetched counts their bytes.
	fetchedPaths []string
	fetched      int64
}

// New returns the gathering of the input that cfg describes.
func New(cfg Config) *Gathering {
	return &Gathering{cfg: cfg, found: make([]*filemerge.Input, len(cfg.MapAttempts)), segmentPaths: make(map[task.AttemptID]string)}
}

// FetchedBytes returns the bytes of map output fetched from other
// workers so far.
func (g *Gathering) FetchedBytes() int64 { return g.fetched }

// Close removes the local copies of fetched sections. Close the merged
// stream first.
func (g *Gathering) Close() {
	for _, p := range g.fetchedPaths {
		os.Remove(p)
	}
}

// Open gathers this partition's section of every map output and opens
// them as one merged stream. It retries for as long as it finds outputs
// lost (each reported, and waited for) before any record was handed out.
func (g *Gathering) Open(ctx context.Context) (*filemerge.Merged, error) {
	for m, a := range g.cfg.MapAttempts {
		if a == protocol.Pending {
			g.want = append(g.want, m)
			continue
		}
		g.take(m, a, g.server(m), g.extent(m))
	}
	r, attempt := g.cfg.Attempt.Task.Index, g.cfg.Attempt.Attempt
	for {
		inputs, err := g.gather(ctx)
		if err != nil {
			return nil, err
		}
		merged, err := filemerge.Open(inputs, func(n int) string {
			return filepath.Join(g.cfg.LocalDir, jobfiles.MergeRun(r, attempt, n))
		})
		var lost *filemerge.LostError
		if !errors.As(err, &lost) {
			return merged, err
		}
		// Found while opening or batch-merging: no record has reached
		// Reduce, so the attempt can wait for the output to be made again.
		g.found[lost.Map.Task.Index] = nil
		g.markLost(lost.Map, lost.Err)
	}
}

// gather returns this partition's section of every map output, in map
// task order: in place in the shared folder or this worker's folder
// (opened later, by the merge), or fetched from the worker that serves it
// and checked end to end. It reports the ones it cannot get as lost, and
// waits for those and the pending ones to be made again.
func (g *Gathering) gather(ctx context.Context) ([]filemerge.Input, error) {
	g.fetchRemote(ctx)
	g.readSegments()
	for len(g.want) > 0 {
		outputs, err := g.cfg.Locate(ctx, g.lost, g.want)
		if err != nil {
			return nil, err
		}
		waiting := g.want
		g.lost, g.want = nil, nil
		arrived := make(map[int]protocol.OutputLocation, len(outputs))
		for _, o := range outputs {
			arrived[o.Map] = o
		}
		for _, m := range waiting {
			if o, ok := arrived[m]; ok {
				g.take(m, o.Attempt, o.Server, o.Extent)
			} else {
				g.want = append(g.want, m)
			}
		}
		g.fetchRemote(ctx)
		g.readSegments()
	}
	inputs := make([]filemerge.Input, 0, len(g.found))
	for _, in := range g.found {
		if in != nil {
			inputs = append(inputs, *in)
		}
	}
	return inputs, nil
}

// server returns where map task m's output is served, "" for the shared
// folder.
func (g *Gathering) server(m int) string {
	if g.cfg.Servers == nil {
		return ""
	}
	return g.cfg.Servers[m]
}

// extent returns where in a segment file map task m's output is, if in
// one.
func (g *Gathering) extent(m int) jobfiles.Extent {
	if g.cfg.Extents == nil {
		return jobfiles.Extent{}
	}
	return g.cfg.Extents[m]
}

// take finds map task m's output, attempt a, served by server (at extent
// of a segment file, if in one): in place if it is in a folder of this
// machine, else queued to be fetched.
func (g *Gathering) take(m, a int, server string, extent jobfiles.Extent) {
	if a == protocol.NoOutput {
		return
	}
	owner := task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: a}
	dir := g.cfg.Dir
	switch {
	case server == "":
	case server == g.cfg.Self:
		dir = g.cfg.LocalDir
	case g.cfg.Fetcher == nil:
		g.markLost(owner, fmt.Errorf("served by %s, but this worker fetches nothing (it has no secret)", server))
		return
	default:
		g.remote = append(g.remote, shuffle.Source{Server: server, Map: m, Attempt: a})
		return
	}
	if extent.InSegment() {
		path, ok := g.segmentPaths[extent.Segment]
		if !ok {
			path = filepath.Join(dir, extent.Name(owner))
			g.segmentPaths[extent.Segment] = path
		}
		in := &filemerge.Input{Path: path, Section: g.cfg.Attempt.Task.Index, Offset: extent.Offset, Length: extent.Length, Owner: owner}
		g.segmented = append(g.segmented, segmentedOutput{m: m, in: in})
		return
	}
	g.found[m] = &filemerge.Input{Path: filepath.Join(dir, extent.Name(owner)), Section: g.cfg.Attempt.Task.Index, Owner: owner}
}

// markLost queues owner's output to be reported lost, and its map task
// to be waited for.
func (g *Gathering) markLost(owner task.AttemptID, err error) {
	g.lost = append(g.lost, protocol.LostOutput{Map: owner, Reason: err.Error()})
	g.want = append(g.want, owner.Task.Index)
}

// fetchRemote fetches the queued outputs into local copies, a few at a
// time, each retried with backoff; those it cannot get are lost.
func (g *Gathering) fetchRemote(ctx context.Context) {
	if len(g.remote) == 0 {
		return
	}
	sources := g.remote
	g.remote = nil
	r, attempt := g.cfg.Attempt.Task.Index, g.cfg.Attempt.Attempt
	copyPath := func(s shuffle.Source) string {
		return filepath.Join(g.cfg.LocalDir, jobfiles.Fetched(r, attempt, s.Map, s.Attempt))
	}
	before := g.cfg.Fetcher.Stats()
	errs := g.cfg.Fetcher.FetchAll(ctx, sources, r, func(s shuffle.Source) (shuffle.Destination, error) {
		return atomicfile.Create(copyPath(s), atomicfile.Volatile, jobfiles.TempPrefix)
	})
	g.fetched += g.cfg.Fetcher.Stats().Bytes - before.Bytes
	for i, s := range sources {
		owner := task.AttemptID{Task: task.ID{Kind: task.Map, Index: s.Map}, Attempt: s.Attempt}
		if errs[i] != nil {
			g.markLost(owner, errs[i])
			continue
		}
		path := copyPath(s)
		g.fetchedPaths = append(g.fetchedPaths, path)
		g.found[s.Map] = &filemerge.Input{Path: path, Section: -1, Owner: owner}
	}
}
