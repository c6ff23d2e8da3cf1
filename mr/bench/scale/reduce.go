package scale

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
)

// errAttemptRevoked ends the gathering of a revoked attempt's map
// locations.
var errAttemptRevoked = errors.New("attempt revoked")

// reduceReadiness is what a reduce attempt found of its map outputs.
type reduceReadiness uint8

const (
	reduceReady reduceReadiness = iota + 1 // every map output is located
	reduceYield                            // asked to give way
	reduceLost                             // revoked, or the worker was lost
)

// stagedOutputMode is the mode of a reduce attempt's (empty) output.
const stagedOutputMode = 0o644

// prepareReduce gathers the reply's map locations page by page, checking
// that they locate every map task's output, waits (MapOutputs) for those
// being made again, and leaves the attempt's empty staged output for the
// coordinator to publish.
func (w *simWorker) prepareReduce(reply *protocol.GetTaskReply) (reduceReadiness, error) {
	a := reply.Attempt
	var revoked error
	fetch := func(from, known int) (protocol.LocationPage, error) {
		var out protocol.MapLocationsReply
		args := protocol.MapLocationsArgs{Header: w.header(), Attempt: a, From: from, KnownServers: known}
		if err := w.call(w.calls, protocol.MethodMapLocations, &args, &out, 0); err != nil {
			return out.Page, err
		}
		w.s.tally.pages.Add(1)
		if out.UnknownWorker || out.Revoked {
			revoked = w.lost(a, out.UnknownWorker)
			return out.Page, errAttemptRevoked
		}
		return out.Page, nil
	}
	var check locationCheck
	servers, err := protocol.GatherLocations(reply.MapLocations, fetch, check.run)
	switch {
	case errors.Is(err, errAttemptRevoked):
		return reduceLost, revoked
	case err == nil:
		err = check.servers(servers)
	}
	if err != nil {
		return 0, fmt.Errorf("worker %d: %v: %w", w.index+1, a, err)
	}
	w.s.tally.locations.Add(1)
	w.s.tally.sawRuns(check.runs)
	pending := check.pending
	for len(pending) > 0 {
		var out protocol.MapOutputsReply
		args := protocol.MapOutputsArgs{Header: w.header(), Attempt: a, Want: pending}
		if err := w.call(w.calls, protocol.MethodMapOutputs, &args, &out, w.poll); err != nil {
			return 0, err
		}
		switch {
		case out.UnknownWorker || out.Revoked:
			return reduceLost, w.lost(a, out.UnknownWorker)
		case out.Yield:
			return reduceYield, nil
		}
		if pending, err = located(pending, out.Outputs); err != nil {
			return 0, fmt.Errorf("worker %d: %v: %w", w.index+1, a, err)
		}
	}
	staged := filepath.Join(w.s.jobDir, jobfiles.StagedOutput(a.Task.Index, a.Attempt))
	if err := os.WriteFile(staged, nil, stagedOutputMode); err != nil {
		return 0, fmt.Errorf("worker %d: %w", w.index+1, err)
	}
	return reduceReady, nil
}

// locationCheck checks, run by run as protocol.GatherLocations passes
// them on (whole: a million map tasks' locations are never held), that
// every map task has a committed attempt on a server, and keeps the map
// tasks whose output is being made again.
type locationCheck struct {
	pending []int
	runs    int
	// used marks the server table's entries the runs name (a slice, not a
	// map: this is called a million times per reduce attempt).
	used []bool
}

// run checks one run.
func (c *locationCheck) run(r *protocol.AttemptRun) error {
	c.runs++
	last := r.Start + r.Count - 1
	switch {
	case r.Attempt == protocol.Pending:
		for m := r.Start; m <= last; m++ {
			c.pending = append(c.pending, m)
		}
	case r.Attempt < 1:
		return fmt.Errorf("map locations: maps %d..%d have no output (attempt %d)", r.Start, last, r.Attempt)
	case r.Server < 1:
		return fmt.Errorf("map locations: maps %d..%d name no server (index %d)", r.Start, last, r.Server)
	default:
		if r.Server >= len(c.used) {
			c.used = append(c.used, make([]bool, r.Server+1-len(c.used))...)
		}
		c.used[r.Server] = true
	}
	return nil
}

// servers checks that every entry of the server table the runs named is
// an address.
func (c *locationCheck) servers(table []string) error {
	for i, used := range c.used {
		if used && (i >= len(table) || table[i] == "") {
			return fmt.Errorf("map locations: server %d of %d has no address", i, len(table))
		}
	}
	return nil
}

// located returns the map tasks of pending that outputs does not locate.
func located(pending []int, outputs []protocol.OutputLocation) ([]int, error) {
	for _, o := range outputs {
		if o.Attempt < 1 || o.Server == "" {
			return nil, fmt.Errorf("map outputs: map %d has attempt %d on server %q", o.Map, o.Attempt, o.Server)
		}
		pending = slices.DeleteFunc(pending, func(m int) bool { return m == o.Map })
	}
	return pending, nil
}
