package scale

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
)

// reduceReadiness is what a reduce attempt found of its map outputs.
type reduceReadiness uint8

const (
	reduceReady reduceReadiness = iota + 1 // every map output is located
	reduceYield                            // asked to give way
	reduceLost                             // revoked, or the worker was lost
)

// stagedOutputMode is the mode of a reduce attempt's (empty) output.
const stagedOutputMode = 0o644

// prepareReduce checks that the reply locates every map task's output,
// waits (MapOutputs) for those being made again, and leaves the attempt's
// empty staged output for the coordinator to publish.
func (w *simWorker) prepareReduce(reply *protocol.GetTaskReply) (reduceReadiness, error) {
	a := reply.Attempt
	pending, err := checkLocations(reply.MapAttempts, reply.Servers, w.s.cfg.Maps)
	if err != nil {
		return 0, fmt.Errorf("worker %d: %v: %w", w.index+1, a, err)
	}
	w.s.tally.locations.Add(1)
	w.s.tally.sawRuns(len(reply.MapAttempts))
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

// checkLocations checks that runs name, in order, every one of maps map
// tasks, each with a committed attempt on a server of servers, and
// returns the map tasks whose output is being made again.
func checkLocations(runs protocol.AttemptRuns, servers []string, maps int) ([]int, error) {
	var pending []int
	next := 0
	for _, r := range runs {
		if r.Start != next || r.Count < 1 {
			return nil, fmt.Errorf("map locations: a run starts at map %d with %d maps, want map %d on", r.Start, r.Count, next)
		}
		next += r.Count
		switch {
		case r.Attempt == protocol.Pending:
			for m := r.Start; m < next; m++ {
				pending = append(pending, m)
			}
		case r.Attempt < 1:
			return nil, fmt.Errorf("map locations: maps %d..%d have no output (attempt %d)", r.Start, next-1, r.Attempt)
		case r.Server < 1 || r.Server >= len(servers) || servers[r.Server] == "":
			return nil, fmt.Errorf("map locations: maps %d..%d name no server (index %d of %d)", r.Start, next-1, r.Server, len(servers))
		}
	}
	if next != maps {
		return nil, fmt.Errorf("map locations: %d map tasks named, want %d", next, maps)
	}
	return pending, nil
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
