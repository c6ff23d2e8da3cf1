package coordinator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/protocol"
	"6.5840/mr/status"
)

const testLease = 2 * time.Second

var w0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestOneRuleOfLiveness: whether a worker is alive decides, by the same
// rule, whether it is lost (with a server), what the status page calls it,
// and whether the coordinator waits for it after the job.
func TestOneRuleOfLiveness(t *testing.T) {
	tests := []struct {
		name     string
		worker   workerInfo
		silent   time.Duration
		busy     bool
		wantLost bool   // loseSilent loses it
		want     string // its state on the status page
		awaited  bool   // WaitForWorkers waits for it
	}{
		{"heard just now", workerInfo{server: "s:1"}, 0, false, false, status.WorkerIdle, true},
		{"busy, heard within a lease", workerInfo{server: "s:1"}, testLease - time.Millisecond, true, false, status.WorkerBusy, true},
		{"server, silent a lease", workerInfo{server: "s:1"}, testLease, true, true, status.WorkerLost, false},
		{"shared folder, silent a lease", workerInfo{}, testLease, false, false, status.WorkerLost, false},
		{"shared folder, heard", workerInfo{}, time.Second, false, false, status.WorkerIdle, true},
		{"told to exit, silent", workerInfo{server: "s:1", toldExit: true}, time.Hour, false, false, status.WorkerExited, false},
		{"told to exit, heard", workerInfo{toldExit: true}, 0, false, false, status.WorkerExited, false},
		{"lost before", workerInfo{server: "s:1", lost: true}, time.Hour, false, false, status.WorkerLost, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRegistry(testLease, 0)
			id := r.add(tt.worker, w0)
			now := w0.Add(tt.silent)
			w, ok := r.get(id)
			require.True(t, ok)
			require.Equal(t, tt.want, r.state(w, now, tt.busy))
			require.Equal(t, map[bool]int{false: 0, true: 1}[tt.awaited], r.awaited(now))
			lost := r.loseSilent(now)
			if tt.wantLost {
				require.Equal(t, []lostWorker{{id, w}}, lost)
				require.Equal(t, status.WorkerLost, r.state(w, w0, false), "a lost worker stays lost")
				require.Empty(t, r.loseSilent(now.Add(time.Hour)), "a worker is lost once")
			} else {
				require.Empty(t, lost)
			}
		})
	}
}

func TestRegistryLosesInIDOrderAndSaysWhenNext(t *testing.T) {
	r := newRegistry(testLease, 7)
	var ids []protocol.WorkerID
	for i := range 10 {
		ids = append(ids, r.add(workerInfo{server: "s:1"}, w0.Add(time.Duration(i)*time.Millisecond)))
	}
	require.Equal(t, protocol.WorkerID(8), ids[0], "ids continue after the last one given out")
	shared := r.add(workerInfo{}, w0)

	next, ok := r.nextLoss()
	require.True(t, ok)
	require.Equal(t, w0.Add(testLease), next, "the first worker with a server is lost a lease after it was heard")
	require.Empty(t, r.loseSilent(next.Add(-time.Nanosecond)))

	w, _ := r.get(ids[0])
	r.heard(w, w0.Add(time.Second))
	var got []protocol.WorkerID
	for _, l := range r.loseSilent(w0.Add(time.Hour)) {
		got = append(got, l.id)
	}
	require.Equal(t, ids, got, "every worker with a server, in id order; not the shared folder's")
	_, ok = r.nextLoss()
	require.False(t, ok, "no worker is left to lose")
	sw, _ := r.get(shared)
	require.False(t, sw.lost)
}
