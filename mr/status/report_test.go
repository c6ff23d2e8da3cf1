package status

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// finished is the fixture job after it ended.
func finished() Snapshot {
	s := fixture()
	s.Job.State, s.Job.Ended, s.Job.Elapsed = JobDone, at(15), 15*time.Second
	return s
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	want := finished()
	jsonPath, htmlPath, err := WriteReport(dir, "mr-status", want)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "mr-status.json"), jsonPath)
	require.Equal(t, filepath.Join(dir, "mr-status.html"), htmlPath)

	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	var got Snapshot
	require.NoError(t, json.Unmarshal(data, &got))
	require.Equal(t, want, got)

	page, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	require.NotContains(t, string(page), "http-equiv", "a report does not refresh")
	require.Contains(t, string(page), "<svg")
	require.Contains(t, string(page), "rendered 2025-03-01T12:00:15Z", "drawn as of the job's end")
	require.Contains(t, string(page), "<td>12.5s ago</td>", "heartbeat ages measured from the job's end")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2, "no temporary files left behind")
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		require.Equal(t, os.FileMode(reportPerm), info.Mode().Perm(), e.Name())
	}
}

func TestWriteReportReplacesOldReport(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "r.json"), []byte("old"), 0o600))
	jsonPath, _, err := WriteReport(dir, "r", finished())
	require.NoError(t, err)
	data, err := os.ReadFile(jsonPath)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(data), "{\n"))
}

func TestWriteReportRunningJobUsesNow(t *testing.T) {
	dir := t.TempDir()
	before := time.Now()
	_, htmlPath, err := WriteReport(dir, "r", fixture())
	require.NoError(t, err)
	page, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	require.NotContains(t, string(page), "rendered 2025-", "job has not ended: drawn as of now")
	require.Contains(t, string(page), "rendered "+before.Format("2006-01-02"))
}

func TestWriteReportErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, dir, base, want string
	}{
		{"empty base", dir, "", "not a plain file name"},
		{"base with directory", dir, "sub/r", "not a plain file name"},
		{"missing dir", filepath.Join(dir, "missing"), "r", "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jsonPath, htmlPath, err := WriteReport(tc.dir, tc.base, finished())
			require.ErrorContains(t, err, "write report")
			require.ErrorContains(t, err, tc.want)
			require.Empty(t, jsonPath)
			require.Empty(t, htmlPath)
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing written on error")
}
