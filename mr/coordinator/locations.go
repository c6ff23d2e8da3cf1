package coordinator

import (
	"fmt"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// The map locations are encoded in parts of locationPartMaps map tasks
// each, so that a change of one map task's commit (a lost output run
// again, while a thousand reducers gather pages) encodes one part again,
// not a million map tasks. A page is as many consecutive parts as fit in
// locationPageBytes (at least one), and at most serversPerPage server
// addresses: every reply stays small however large the job, and so does
// the buffer that each connection's encoder keeps after its largest
// reply, while a job whose map tasks run in few runs (all in the shared
// folder) needs one page.
const (
	locationPartMaps  = 16 << 10
	locationPageBytes = 64 << 10
	serversPerPage    = 1024
)

// mapLocations is what reducers are told of where the map outputs are:
// the runs of every map task's committed attempt and server, encoded in
// parts, and the server table their indexes refer to. Its owner's lock
// guards it; a page handed out stays valid after the lock is released,
// because a part encoded again is a new slice and the table only grows.
type mapLocations struct {
	// version is the table's map commits version that parts encode.
	version int
	// parts holds each part's encoded runs; nil for a part to encode.
	parts [][]byte
	// pages holds the runs of the pages put together since the parts last
	// changed, by their first part: a thousand reducers ask for the same
	// pages, and each is put together once.
	pages map[int][]byte
	// servers is the server table; index finds an address's entry.
	servers []string
	index   map[string]int
}

func newMapLocations() *mapLocations {
	return &mapLocations{servers: []string{""}, index: map[string]int{"": 0}}
}

// update marks the parts whose map commits changed since the last update
// for encoding again.
func (l *mapLocations) update(t *table.Table) {
	if l.parts == nil {
		l.parts = make([][]byte, (t.Maps()+locationPartMaps-1)/locationPartMaps)
	}
	changed := t.MapCommitsChangedSince(l.version)
	for _, m := range changed {
		l.parts[m/locationPartMaps] = nil
	}
	if len(changed) > 0 {
		clear(l.pages)
	}
	l.version = t.MapCommitsVersion()
}

// part returns part p's encoded runs, encoding them if needed.
func (l *mapLocations) part(t *table.Table, p int) []byte {
	if b := l.parts[p]; b != nil {
		return b
	}
	var b []byte
	run := protocol.AttemptRun{}
	for m := p * locationPartMaps; m < min((p+1)*locationPartMaps, t.Maps()); m++ {
		commit, ok := t.MapCommit(m)
		out := mapOutput(commit)
		if !ok {
			out.Attempt = protocol.Pending
		}
		server := l.serverIndex(out.Server)
		if run.Count > 0 && run.Attempt == out.Attempt && run.Server == server && !out.Extent.InSegment() {
			run.Count++
			continue
		}
		if run.Count > 0 {
			b = protocol.AppendRun(b, run.Count, run.Attempt, run.Server)
			run.Count = 0
		}
		if out.Extent.InSegment() {
			b = protocol.AppendExtentRun(b, out.Attempt, server, out.Extent)
			continue
		}
		run = protocol.AttemptRun{Count: 1, Attempt: out.Attempt, Server: server}
	}
	if run.Count > 0 {
		b = protocol.AppendRun(b, run.Count, run.Attempt, run.Server)
	}
	l.parts[p] = b
	return b
}

// serverIndex returns addr's entry in the server table, adding it if new.
func (l *mapLocations) serverIndex(addr string) int {
	i, ok := l.index[addr]
	if !ok {
		i = len(l.servers)
		l.index[addr] = i
		l.servers = append(l.servers, addr)
	}
	return i
}

// page returns the page of t's map locations that starts with the part
// holding map task from, with the server table from entry known on.
func (l *mapLocations) page(t *table.Table, from, known int) protocol.LocationPage {
	l.update(t)
	p := protocol.LocationPage{Maps: t.Maps()}
	if first := from / locationPartMaps; first < len(l.parts) {
		p.From = first * locationPartMaps
		p.Runs = l.pageRuns(t, first)
	}
	// The server table as of now: encoding the parts may have added to it.
	known = min(max(known, 0), len(l.servers))
	end := min(known+serversPerPage, len(l.servers))
	p.ServersFrom, p.Servers, p.TotalServers = known, l.servers[known:end:end], len(l.servers)
	return p
}

// pageRuns returns the runs of the page that starts with part first: as
// many parts as fit in locationPageBytes, and at least one.
func (l *mapLocations) pageRuns(t *table.Table, first int) []byte {
	if runs, ok := l.pages[first]; ok {
		return runs
	}
	runs := l.part(t, first)
	for next := first + 1; next < len(l.parts); next++ {
		b := l.part(t, next)
		if len(runs)+len(b) > locationPageBytes {
			break
		}
		if next == first+1 {
			runs = append([]byte(nil), runs...)
		}
		runs = append(runs, b...)
	}
	if l.pages == nil {
		l.pages = make(map[int][]byte)
	}
	l.pages[first] = runs
	return runs
}

// firstLocationsLocked returns the first page of map locations, which a
// reduce assignment carries.
func (c *Coordinator) firstLocationsLocked() protocol.LocationPage {
	return c.locations.page(c.table, 0, 0)
}

// mapLocations is the MapLocations RPC: the page of map locations a live
// reduce attempt asks for.
func (c *Coordinator) mapLocations(args *protocol.MapLocationsArgs, reply *protocol.MapLocationsReply) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.checkCallerLocked(args.Header); err != nil {
		return err
	}
	if args.Attempt.Task.Kind != task.Reduce || !c.table.IsLive(int(args.Worker), args.Attempt) {
		reply.Revoked = true
		return nil
	}
	// From may be the number of map tasks: a reducer with every map
	// task's run may still lack part of the server table.
	if args.From < 0 || args.From > c.table.Maps() {
		return fmt.Errorf("no map task %d", args.From)
	}
	reply.Page = c.locations.page(c.table, args.From, args.KnownServers)
	return nil
}
