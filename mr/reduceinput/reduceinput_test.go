package reduceinput

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/ifile"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
	"6.5840/mr/task"
)

// partition is the reduce partition the tests gather.
const partition = 1

// writeOutput writes map attempt (m, a)'s output in dir: two sections,
// the partition's holding key with value.
func writeOutput(t *testing.T, dir string, m, a int, key, value string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, jobfiles.Intermediate(m, a)))
	require.NoError(t, err)
	sw := ifile.NewSectionWriter(f)
	for r := range partition + 1 {
		w, err := sw.Next()
		require.NoError(t, err)
		if r == partition {
			require.NoError(t, w.Write(key, value))
		}
	}
	require.NoError(t, sw.Close())
	require.NoError(t, f.Close())
}

// call is one Locate call, and its answer.
type call struct {
	lost    []task.AttemptID
	want    []int
	outputs []protocol.OutputLocation
	err     error
}

// script is a Locate that checks each call against the next of calls.
func script(t *testing.T, calls ...call) Locate {
	return func(_ context.Context, lost []protocol.LostOutput, want []int) ([]protocol.OutputLocation, error) {
		t.Helper()
		require.NotEmpty(t, calls, "Locate called once too often")
		c := calls[0]
		calls = calls[1:]
		var ids []task.AttemptID
		for _, l := range lost {
			ids = append(ids, l.Map)
		}
		require.Equal(t, c.lost, ids, "outputs reported lost")
		require.ElementsMatch(t, c.want, want, "map tasks waited for")
		return c.outputs, c.err
	}
}

func mapAttempt(m, a int) task.AttemptID {
	return task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: a}
}

// TestWaitsForPendingAndReportsMissingOutputs: map 0's output is there;
// map 1's committed one is missing, found when the merge opens it, so it
// is reported lost and its re-run waited for; map 2's is pending from
// the start. The stream is every output's section, in key order.
func TestWaitsForPendingAndReportsMissingOutputs(t *testing.T) {
	dir := t.TempDir()
	writeOutput(t, dir, 0, 1, "a", "from map 0")
	writeOutput(t, dir, 1, 2, "b", "from map 1's re-run")
	writeOutput(t, dir, 2, 1, "c", "from map 2")
	g := New(Config{
		Attempt:     task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: partition}, Attempt: 1},
		Dir:         dir,
		LocalDir:    dir,
		MapAttempts: []int{1, 1, protocol.Pending},
		Locate: script(t,
			call{want: []int{2}, outputs: []protocol.OutputLocation{{Map: 2, Attempt: 1}}},
			call{lost: []task.AttemptID{mapAttempt(1, 1)}, want: []int{1}, outputs: []protocol.OutputLocation{{Map: 1, Attempt: 2}}},
		),
	})
	defer g.Close()
	merged, err := g.Open(context.Background())
	require.NoError(t, err)
	defer merged.Close()
	var got []string
	for {
		k, v, err := merged.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, k+"="+v)
	}
	require.Equal(t, []string{"a=from map 0", "b=from map 1's re-run", "c=from map 2"}, got)
	require.Zero(t, g.FetchedBytes(), "fetched on one machine")
}

// TestServedElsewhereWithoutAFetcherIsLost: an output served by another
// worker cannot be read by a worker that fetches nothing; it is reported
// lost at once, and Locate's error ends the gathering.
func TestServedElsewhereWithoutAFetcherIsLost(t *testing.T) {
	dir := t.TempDir()
	stop := errors.New("the attempt was revoked")
	var reason string
	locate := func(_ context.Context, lost []protocol.LostOutput, want []int) ([]protocol.OutputLocation, error) {
		require.Len(t, lost, 1)
		require.Equal(t, mapAttempt(0, 1), lost[0].Map)
		require.Equal(t, []int{0}, want)
		reason = lost[0].Reason
		return nil, stop
	}
	g := New(Config{
		Attempt:     task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: partition}, Attempt: 1},
		Dir:         dir,
		LocalDir:    dir,
		MapAttempts: []int{1},
		Servers:     []string{"10.0.0.2:7001"},
		Self:        "10.0.0.1:7001",
		Locate:      locate,
	})
	defer g.Close()
	_, err := g.Open(context.Background())
	require.ErrorIs(t, err, stop)
	require.Contains(t, reason, "10.0.0.2:7001")
	require.Contains(t, reason, "fetches nothing")
}
