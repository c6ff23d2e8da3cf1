package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFormatTable(t *testing.T) {
	shuffle := 12.25
	got := formatTable([]Result{
		{Name: "baseline", WallS: 1.5, Ratio: 1, PeakRSSMiB: 20.5, CPUS: 2.9},
		{Name: "mr 2w combiner", WallS: 15, Ratio: 10, PeakRSSMiB: 300, CoordinatorRSSMiB: 15.25, WorkerRSSMiB: 300, CPUS: 28.123, ShuffleMiB: &shuffle},
	})
	want := "" +
		"run             wall s  x baseline  peak RSS MiB  coord RSS MiB  worker RSS MiB  CPU s  shuffle MiB\n" +
		strings.Repeat("-", 99) + "\n" +
		"baseline          1.50        1.00          20.5              -               -   2.90            -\n" +
		"mr 2w combiner   15.00       10.00         300.0           15.2           300.0  28.12         12.2\n"
	require.Equal(t, want, got)
}

func TestFormatTiny(t *testing.T) {
	got := formatTiny(TinyResult{Inputs: 2000, NReduce: 10, Workers: 4, Tasks: 2010, WallS: 2.01, TasksPerSec: 1000, PeakRSSMiB: 12})
	require.Equal(t, "scheduling: 2000 tiny inputs + 10 reduces = 2010 tasks, 4 workers: 2.01 s, 1000 tasks/s (coordinator wall time; peak RSS 12.0 MiB)\n", got)
}

func TestWriteJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.json")
	rep := Report{CPUs: 2, Results: []Result{{Name: "baseline", WallS: 1}}, Tiny: &TinyResult{Tasks: 3}}
	require.NoError(t, rep.WriteJSON(p))
	data, err := os.ReadFile(p)
	require.NoError(t, err)
	var back Report
	require.NoError(t, json.Unmarshal(data, &back))
	require.Equal(t, rep, back)
}

func TestCombinerNote(t *testing.T) {
	require.Empty(t, combinerNote(10, 500))
	require.Contains(t, combinerNote(10, 11), "seems to ignore MR_NO_COMBINE=1")
	require.Contains(t, combinerNote(0, 0), "unknown whether")
}

func TestParseSkip(t *testing.T) {
	skip, err := ParseSkip("")
	require.NoError(t, err)
	require.Empty(t, skip)
	skip, err = ParseSkip("nocombiner, tiny")
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"nocombiner": true, "tiny": true}, skip)
	_, err = ParseSkip("baseline")
	require.ErrorContains(t, err, "unknown run")
}
