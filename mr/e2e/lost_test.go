package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/status"
)

// reducersAtGate returns the pids of the processes whose Reduce waits at
// the probe's gate.
func (j *job) reducersAtGate() []string {
	markers, err := filepath.Glob(filepath.Join(j.dir, "probe-reduce-waiting-*"))
	require.NoError(j.t, err)
	var pids []string
	for _, m := range markers {
		pids = append(pids, strings.TrimPrefix(filepath.Base(m), "probe-reduce-waiting-"))
	}
	return pids
}

// reportOutcomes counts the attempts of the job report by outcome.
func (j *job) reportOutcomes() map[string]int {
	data, err := os.ReadFile(filepath.Join(j.dir, "mr-report.json"))
	require.NoError(j.t, err)
	var report status.Snapshot
	require.NoError(j.t, json.Unmarshal(data, &report))
	n := map[string]int{}
	for _, a := range report.Attempts {
		n[a.Outcome]++
	}
	return n
}

func TestDamagedMapOutputIsRerunInTheReducePhase(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pg-grimm.txt", "pg-metamorphosis.txt")
	gate := filepath.Join(j.dir, "gate")
	c := j.coordinator("-nreduce", "1", "-max-failures", "1")
	j.waitForSocket()
	// Each map output in a file of its own, which the reducer streams:
	// a small output in a segment file is read and checked before Reduce
	// sees a record (mr/coordinator's tests damage those).
	w := j.start("mrworker", []string{"PROBE_REDUCE_GATE=" + gate}, "-segment-max", "0", filepath.Join(bin, "probe.so"))
	j.waitFor("the reducer to wait at the gate", func() bool { return len(j.reducersAtGate()) == 1 })

	// The reducer has opened grimm's map output and read its first block.
	// Damage the bytes half way through, which it has not read yet.
	path := filepath.Join(j.dir, "mr-im-m0-a1")
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	info, err := f.Stat()
	require.NoError(t, err)
	_, err = f.WriteAt([]byte("garbage!"), info.Size()/2)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, os.WriteFile(gate, nil, 0o644))

	require.NoError(t, c.wait(t))
	require.NoError(t, w.wait(t))
	require.Equal(t, j.want(), j.output())
	require.Equal(t, 2, j.mapCalls()["pg-grimm.txt"], "the damaged output's map runs again")
	require.Equal(t, 1, j.mapCalls()["pg-metamorphosis.txt"])
	require.Equal(t, 1, j.report().Job.MapsRerun, "one committed map output found lost")
	got := j.reportOutcomes()
	require.Equal(t, 1, got[status.OutcomeLost])
	require.Equal(t, 1, got[status.OutcomeReleased], "the reduce attempt that found the damage")
	require.Zero(t, got[status.OutcomeFailed])
	require.Empty(t, j.leftovers())
}

func TestStuckMapMakesItsWorkerExit(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pg-metamorphosis.txt")
	c := j.coordinator("-nreduce", "1", "-task-timeout", "2s")
	j.waitForSocket()
	hung := j.start("mrworker", []string{"PROBE_MAP_HANG=metamorphosis"}, "-stuck-grace", "2s", filepath.Join(bin, "probe.so"))
	j.waitFor("the hung map to start", func() bool { return len(j.mapCalls()) == 1 })
	helper := j.worker()

	require.Equal(t, 1, exitCode(hung.wait(t)), "a worker whose Map never returns must exit non-zero")
	require.Contains(t, hung.log(), "map-0.1")
	require.Contains(t, hung.log(), "did not return within 2s", "-stuck-grace sets the grace")
	require.NoError(t, c.wait(t))
	require.NoError(t, helper.wait(t))
	require.Equal(t, j.want(), j.output())
	require.Empty(t, j.leftovers())
}

func TestWorkerWithAnotherPluginIsRefused(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pg-metamorphosis.txt")
	c := j.coordinator("-nreduce", "1")
	j.waitForSocket()
	w := j.worker("PROBE_MAP_SLEEP=1s")
	j.waitFor("the first worker to start its map", func() bool { return len(j.mapCalls()) == 1 })
	other := j.start("mrworker", nil, filepath.Join(bin, "wc.so"))
	require.Equal(t, 1, exitCode(other.wait(t)))
	require.Contains(t, other.log(), "another application")
	require.NoError(t, c.wait(t))
	require.NoError(t, w.wait(t))
	require.Equal(t, j.want(), j.output())
}
