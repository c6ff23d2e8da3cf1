package protocol

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// pager serves a run-length encoding of attempts and servers (indexes
// into table) in pages of at most runsPerPage runs and serversPerPage
// servers, as a coordinator does.
type pager struct {
	pages                       []LocationPage
	table                       []string
	serversPerPage, maps, calls int
}

func newPager(attempts, servers []int, table []string, runsPerPage, serversPerPage int) *pager {
	p := &pager{table: table, serversPerPage: serversPerPage, maps: len(attempts)}
	runs := 0
	for m := 0; m < len(attempts); {
		n := 1
		for m+n < len(attempts) && attempts[m+n] == attempts[m] && servers[m+n] == servers[m] {
			n++
		}
		if runs%runsPerPage == 0 {
			p.pages = append(p.pages, LocationPage{From: m})
		}
		last := &p.pages[len(p.pages)-1]
		last.Runs = AppendRun(last.Runs, n, attempts[m], servers[m])
		runs++
		m += n
	}
	return p
}

func (p *pager) page(from, known int) (LocationPage, error) {
	p.calls++
	out := LocationPage{Maps: p.maps, TotalServers: len(p.table), ServersFrom: known}
	for _, pg := range p.pages {
		if pg.From <= from {
			out.From, out.Runs = pg.From, pg.Runs
		}
	}
	out.Servers = p.table[known:min(known+p.serversPerPage, len(p.table))]
	return out, nil
}

func gather(t *testing.T, p *pager) (*Locations, []string, error) {
	t.Helper()
	first, _ := p.page(0, 0)
	var locs Locations
	table, err := GatherLocations(first, p.page, locs.Add)
	return &locs, table, err
}

func TestGatherLocationsPageByPage(t *testing.T) {
	table := []string{""}
	for i := range 50 {
		table = append(table, fmt.Sprintf("10.0.%d.1:7000", i))
	}
	const maps = 1000
	attempts, servers := make([]int, maps), make([]int, maps)
	for m := range maps {
		attempts[m], servers[m] = 1, 1+m%50
		if m >= 900 {
			servers[m] = 7 // one long run
		}
	}
	attempts[3], attempts[500] = Pending, 2
	servers[3] = 0
	p := newPager(attempts, servers, table, 64, 8)
	locs, got, err := gather(t, p)
	require.NoError(t, err)
	require.Equal(t, attempts, locs.Attempts)
	require.Equal(t, servers, locs.Servers)
	require.Equal(t, table, got)
	require.Greater(t, p.calls, 14, "both the runs and the servers came in several pages")
}

func TestGatherLocationsFromOnePage(t *testing.T) {
	p := newPager(make([]int, 100_000), make([]int, 100_000), []string{""}, 64, 8)
	require.Len(t, p.pages[0].Runs, 5, "100,000 equal map tasks are one run of five bytes")
	locs, table, err := gather(t, p)
	require.NoError(t, err)
	require.Len(t, locs.Attempts, 100_000)
	require.Equal(t, []string{""}, table)
	require.Equal(t, 1, p.calls, "no page is asked for after the first")
}

// TestGatherLocationsAcrossVersions: a page made after the map commits
// changed may start before the map tasks already seen; they are not
// passed on twice.
func TestGatherLocationsAcrossVersions(t *testing.T) {
	old := LocationPage{Maps: 6, TotalServers: 1, Servers: []string{""}, Runs: AppendRun(AppendRun(nil, 2, 1, 0), 1, 1, 0)}
	newer := LocationPage{Maps: 6, TotalServers: 1, ServersFrom: 1, Runs: AppendRun(AppendRun(nil, 2, 1, 0), 4, 2, 0)}
	var runs []AttemptRun
	_, err := GatherLocations(old, func(from, known int) (LocationPage, error) {
		require.Equal(t, 3, from)
		require.Equal(t, 1, known)
		return newer, nil
	}, func(r *AttemptRun) error { runs = append(runs, *r); return nil })
	require.NoError(t, err)
	require.Equal(t, []AttemptRun{{Start: 0, Count: 2, Attempt: 1}, {Start: 2, Count: 1, Attempt: 1}, {Start: 3, Count: 3, Attempt: 2}}, runs)
}

// segmentAt returns the extent of length bytes at offset of the segment
// that attempt a of map m started.
func segmentAt(m, a int, offset, length int64) jobfiles.Extent {
	return jobfiles.Extent{Segment: task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: a}, Offset: offset, Length: length}
}

// withCount returns the encoded run b with its count, one byte, set to n.
func withCount(b []byte, n byte) []byte {
	b[0] = n
	return b
}

func TestGatherLocationsWithSegments(t *testing.T) {
	// Maps 0 and 2 are in segments (map 2 twice as far in as map 0's),
	// map 1 has a file of its own, map 3 is pending.
	runs := AppendExtentRun(nil, 1, 0, segmentAt(0, 1, 0, 300))
	runs = AppendRun(runs, 1, 2, 0)
	runs = AppendExtentRun(runs, 1, 1, segmentAt(0, 1, 1<<40, 70_000))
	runs = AppendRun(runs, 1, Pending, 0)
	page := LocationPage{Maps: 4, TotalServers: 2, Servers: []string{"", "w2:1"}, Runs: runs}
	var locs Locations
	_, err := GatherLocations(page, nil, locs.Add)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2, 1, Pending}, locs.Attempts)
	require.Equal(t, []int{0, 0, 1, 0}, locs.Servers)
	require.Equal(t, []jobfiles.Extent{segmentAt(0, 1, 0, 300), {}, segmentAt(0, 1, 1<<40, 70_000), {}}, locs.Extents)

	var plain Locations
	_, err = GatherLocations(LocationPage{Maps: 2, TotalServers: 1, Servers: []string{""}, Runs: AppendRun(nil, 2, 1, 0)}, nil, plain.Add)
	require.NoError(t, err)
	require.Nil(t, plain.Extents, "a job without segments keeps no extents")
}

func TestGatherLocationsRefusesBadPages(t *testing.T) {
	one := []string{""}
	for _, tc := range []struct {
		name string
		page LocationPage
		want string
	}{
		{"cut short", LocationPage{Maps: 4, TotalServers: 1, Servers: one, Runs: AppendRun(nil, 4, 1, 0)[:2]}, "cut short"},
		{"past the last map", LocationPage{Maps: 4, TotalServers: 1, Servers: one, Runs: AppendRun(nil, 5, 1, 0)}, "a run of 5 maps"},
		{"empty run", LocationPage{Maps: 4, TotalServers: 1, Servers: one, Runs: AppendRun(nil, 0, 1, 0)}, "a run of 0 maps"},
		{"unknown server", LocationPage{Maps: 4, TotalServers: 1, Servers: one, Runs: AppendRun(nil, 4, 1, 1)}, "server 1 of 1"},
		{"bad attempt", LocationPage{Maps: 4, TotalServers: 1, Servers: one, Runs: AppendRun(nil, 4, -2, 0)}, "attempt -2"},
		{"servers out of order", LocationPage{Maps: 4, TotalServers: 2, ServersFrom: 1, Servers: one, Runs: AppendRun(nil, 4, 1, 0)}, "servers from entry 1"},
		{"nothing new", LocationPage{Maps: 4, TotalServers: 1, Servers: one, Runs: AppendRun(nil, 2, 1, 0)}, "nothing new"},
		{"segment cut short", LocationPage{Maps: 1, TotalServers: 1, Servers: one, Runs: AppendExtentRun(nil, 1, 0, segmentAt(0, 1, 0, 9))[:5]}, "segment of map 0 is cut short"},
		{"segment of no map", LocationPage{Maps: 1, TotalServers: 1, Servers: one, Runs: AppendExtentRun(nil, 1, 0, segmentAt(1, 1, 0, 9))}, "segment of map 1"},
		{"segment of no attempt", LocationPage{Maps: 1, TotalServers: 1, Servers: one, Runs: AppendExtentRun(nil, 1, 0, segmentAt(0, 0, 0, 9))}, "attempt 0"},
		{"empty extent", LocationPage{Maps: 1, TotalServers: 1, Servers: one, Runs: AppendExtentRun(nil, 1, 0, segmentAt(0, 1, 5, 0))}, "0 bytes at offset 5"},
		{"segment of a long run", LocationPage{Maps: 2, TotalServers: 1, Servers: one, Runs: withCount(AppendExtentRun(nil, 1, 0, segmentAt(0, 1, 0, 9)), 2)}, "a run of 2 maps at map 0 in a segment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			again := func(from, known int) (LocationPage, error) { return tc.page, nil }
			var locs Locations
			_, err := GatherLocations(tc.page, again, locs.Add)
			require.ErrorIs(t, err, errBadRuns)
			require.ErrorContains(t, err, tc.want)
		})
	}
	failed := errors.New("revoked")
	page := LocationPage{Maps: 4, TotalServers: 1, Servers: one, Runs: AppendRun(nil, 2, 1, 0)}
	_, err := GatherLocations(page, func(int, int) (LocationPage, error) { return LocationPage{}, failed }, func(*AttemptRun) error { return nil })
	require.ErrorIs(t, err, failed, "a failed fetch ends the gathering")
}

// BenchmarkGatherLocations: what a reducer of a million map tasks spread
// over ten thousand servers spends decoding its map locations.
func BenchmarkGatherLocations(b *testing.B) {
	const maps, servers = 1_000_000, 10_000
	var runs []byte
	for m := range maps {
		runs = AppendRun(runs, 1, 1, 1+m%servers)
	}
	page := LocationPage{Maps: maps, Runs: runs, TotalServers: servers + 1, Servers: make([]string, servers+1)}
	b.SetBytes(int64(len(runs)))
	for b.Loop() {
		n := 0
		if _, err := GatherLocations(page, nil, func(r *AttemptRun) error { n += r.Count; return nil }); err != nil || n != maps {
			b.Fatal(err, n)
		}
	}
}
