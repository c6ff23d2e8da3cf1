package coordinator

import (
	"fmt"
	"sort"

	"6.5840/mr/coordinator/table"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// A page of map locations holds at most locationPageBytes of encoded runs
// (16,000 or more map tasks) and serversPerPage server addresses: every
// reply stays small however large the job, and so does the buffer that
// each connection's encoder keeps after its largest reply.
const (
	locationPageBytes = 64 << 10
	serversPerPage    = 1024
)

// mapLocations is what reducers are told of where the map outputs are:
// the runs of every map task's committed attempt and server, encoded once
// per version of the map commits and cut into pages, and the server table
// their indexes refer to. Its owner's lock guards it; a page handed out
// stays valid after the lock is released, because a rebuild makes new runs
// and the table only grows.
type mapLocations struct {
	// version is the table's map commits version that runs encode; valid
	// is false until the first build.
	version int
	valid   bool
	runs    []byte
	// pages holds where each page starts in runs, in order.
	pages []pageStart
	// servers is the server table; index finds an address's entry.
	servers []string
	index   map[string]int
}

// pageStart is where a page of map locations starts: its first map task,
// and its offset in the encoded runs.
type pageStart struct {
	from, offset int
}

func newMapLocations() *mapLocations {
	return &mapLocations{servers: []string{""}, index: map[string]int{"": 0}}
}

// update encodes t's map commits again if they changed since the last
// build.
func (l *mapLocations) update(t *table.Table) {
	v := t.MapCommitsVersion()
	if l.valid && v == l.version {
		return
	}
	l.runs, l.pages = l.runs[:0:0], l.pages[:0:0]
	run := protocol.AttemptRun{Count: 0}
	flush := func() {
		if run.Count == 0 {
			return
		}
		if len(l.pages) == 0 || len(l.runs)-l.pages[len(l.pages)-1].offset >= locationPageBytes {
			l.pages = append(l.pages, pageStart{from: run.Start, offset: len(l.runs)})
		}
		l.runs = protocol.AppendRun(l.runs, run.Count, run.Attempt, run.Server)
	}
	for m := range t.Maps() {
		commit, ok := t.MapCommit(m)
		out := mapOutput(commit)
		if !ok {
			out.Attempt = protocol.Pending
		}
		server := l.serverIndex(out.Server)
		if run.Count > 0 && run.Attempt == out.Attempt && run.Server == server {
			run.Count++
			continue
		}
		flush()
		run = protocol.AttemptRun{Start: m, Count: 1, Attempt: out.Attempt, Server: server}
	}
	flush()
	l.version, l.valid = v, true
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

// page returns the page that holds map task from, with the server table
// from entry known on, of a job of maps map tasks.
func (l *mapLocations) page(maps, from, known int) protocol.LocationPage {
	p := protocol.LocationPage{Maps: maps, TotalServers: len(l.servers)}
	if n := sort.Search(len(l.pages), func(i int) bool { return l.pages[i].from > from }); n > 0 {
		start, end := l.pages[n-1], len(l.runs)
		if n < len(l.pages) {
			end = l.pages[n].offset
		}
		p.From, p.Runs = start.from, l.runs[start.offset:end:end]
	}
	known = min(max(known, 0), len(l.servers))
	p.ServersFrom = known
	p.Servers = l.servers[known:min(known+serversPerPage, len(l.servers)):min(known+serversPerPage, len(l.servers))]
	return p
}

// firstLocationsLocked returns the first page of map locations, which a
// reduce assignment carries.
func (c *Coordinator) firstLocationsLocked() protocol.LocationPage {
	c.locations.update(c.table)
	return c.locations.page(c.table.Maps(), 0, 0)
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
	if args.From < 0 || args.From >= c.table.Maps() {
		return fmt.Errorf("no map task %d", args.From)
	}
	c.locations.update(c.table)
	reply.Page = c.locations.page(c.table.Maps(), args.From, args.KnownServers)
	return nil
}
