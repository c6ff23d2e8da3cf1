package status

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestJSONRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap Snapshot
	}{
		{"running job", fixture()},
		{"finished job", func() Snapshot {
			s := fixture()
			s.Job.State, s.Job.Ended, s.Job.Error = JobFailed, at(20), "too many failures"
			return s
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.snap)
			require.NoError(t, err)
			var got Snapshot
			require.NoError(t, json.Unmarshal(b, &got))
			require.Equal(t, tc.snap, got)
		})
	}
}

func TestJSONFieldNames(t *testing.T) {
	b, err := json.Marshal(fixture())
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	require.ElementsMatch(t, []string{"job", "maps", "reduces", "workers", "tasks", "attempts", "counters"}, keys(doc))

	job := doc["job"].(map[string]any)
	require.ElementsMatch(t, []string{"inputs", "n_reduce", "started", "elapsed_seconds", "state", "skipped", "maps_rerun"}, keys(job),
		"ended omitted while running, error omitted when empty")
	require.InDelta(t, 12.3, job["elapsed_seconds"], 1e-9)
	require.Equal(t, "2025-03-01T12:00:00Z", job["started"])

	require.ElementsMatch(t, []string{"done", "running", "total"}, keys(doc["reduces"].(map[string]any)))

	worker := doc["workers"].([]any)[0].(map[string]any)
	require.ElementsMatch(t, []string{"id", "host", "server", "pid", "last_seen", "state", "current", "tasks_done", "failures"}, keys(worker))

	task := doc["tasks"].([]any)[0].(map[string]any)
	require.ElementsMatch(t, []string{"id", "kind", "index", "input", "state", "attempts", "worker", "duration_seconds"}, keys(task))
	require.InDelta(t, 1.1, task["duration_seconds"], 1e-9)

	attempts := doc["attempts"].([]any)
	running := attempts[len(attempts)-1].(map[string]any)
	require.ElementsMatch(t, []string{"task", "attempt", "id", "worker", "start", "outcome", "backup", "bytes"}, keys(running),
		"end omitted while running")
	revoked := attempts[2].(map[string]any)
	require.Contains(t, revoked, "end")
	require.Equal(t, "worker lost", revoked["error"])
}

func TestJSONEmptySnapshot(t *testing.T) {
	b, err := json.Marshal(Snapshot{})
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	for _, list := range []string{"workers", "tasks", "attempts"} {
		require.Equal(t, []any{}, doc[list], list)
	}
	require.Equal(t, map[string]any{}, doc["counters"])
	job := doc["job"].(map[string]any)
	require.Equal(t, []any{}, job["skipped"])
	require.NotContains(t, job, "started")
	require.Equal(t, 0.0, job["elapsed_seconds"])
}

func TestDurationSecondsPrecision(t *testing.T) {
	for _, d := range []time.Duration{0, time.Nanosecond, 1500 * time.Millisecond, 36*time.Hour + 7} {
		b, err := json.Marshal(Task{ID: "map-0", Duration: d})
		require.NoError(t, err)
		var got Task
		require.NoError(t, json.Unmarshal(b, &got))
		require.Equal(t, d, got.Duration)
	}
}

func TestJSONDecodeErrorWrapped(t *testing.T) {
	var s Snapshot
	err := json.Unmarshal([]byte(`{"job": {"inputs": "many"}}`), &s)
	require.ErrorContains(t, err, "decode job")
	err = json.Unmarshal([]byte(`{"tasks": [{"attempts": "x"}]}`), &s)
	require.ErrorContains(t, err, "decode task")
}

// keys is the keys of m.
func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestWriteIndentedIsMarshalIndent: the report's JSON, written one element
// at a time, is byte for byte what json.MarshalIndent makes of the whole.
func TestWriteIndentedIsMarshalIndent(t *testing.T) {
	for name, s := range map[string]Snapshot{"fixture": fixture(), "empty": {}, "progress": fixture().ProgressView()} {
		want, err := json.MarshalIndent(s, "", jsonIndent)
		require.NoError(t, err)
		got, err := encodeIndented(s)
		require.NoError(t, err)
		require.Equal(t, string(want)+"\n", string(got), name)
	}
}
