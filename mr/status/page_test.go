package status

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// render is RenderPage's output, which must not fail.
func render(t *testing.T, s Snapshot, now time.Time, refresh time.Duration) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, RenderPage(&buf, s, now, refresh))
	return buf.String()
}

func TestRenderPageRefresh(t *testing.T) {
	for _, tc := range []struct {
		refresh time.Duration
		want    string // "" for no refresh
	}{
		{0, ""},
		{-time.Second, ""},
		{2 * time.Second, `<meta http-equiv="refresh" content="2">`},
		{1500 * time.Millisecond, `<meta http-equiv="refresh" content="2">`},
		{time.Millisecond, `<meta http-equiv="refresh" content="1">`},
	} {
		t.Run(tc.refresh.String(), func(t *testing.T) {
			page := render(t, fixture(), fixtureNow, tc.refresh)
			if tc.want == "" {
				require.NotContains(t, page, "http-equiv")
			} else {
				require.Contains(t, page, tc.want)
				require.Equal(t, 1, strings.Count(page, "http-equiv"))
			}
		})
	}
}

func TestRenderPageContents(t *testing.T) {
	page := render(t, fixture(), fixtureNow, 0)
	for _, want := range []string{
		"<title>MapReduce job: running</title>",
		"elapsed 12.3s",
		"8/8",
		"3/10 (1 running)",
		`style="width: 30.00%"`, // reduces done
		`style="width: 10.00%"`, // reduces running
		"<td>map.records</td><td class=\"num\">1234</td>",
		"<td>host-a</td>", "<td>host-b</td>", "<td>host-c</td>",
		"<td>reduce-3.1</td>", // current attempt of worker 1
		"<td>9.8s ago</td>",   // worker 3's last heartbeat
		"<svg",                // the timeline
		"15 attempts",
		"<td>read input: permission denied</td>", // failed attempt listed
		"<td>pg-7.txt</td>",
		"<td>map-0</td><td>pg-0.txt</td><td>done</td><td class=\"num\">1</td><td class=\"num\">1</td><td class=\"num\">1.1s</td>",
		"<td>reduce-9</td><td></td><td>idle</td><td class=\"num\">0</td><td class=\"num\">-</td><td class=\"num\">-</td>",
		"skipped inputs: bad.txt",
	} {
		require.Contains(t, page, want)
	}
	require.NotContains(t, page, "showing", "nothing truncated")
	// Workers are listed by id.
	a, b, c := strings.Index(page, "host-a"), strings.Index(page, "host-b"), strings.Index(page, "host-c")
	require.Less(t, a, b)
	require.Less(t, b, c)
}

func TestRenderPageSelfContained(t *testing.T) {
	page := render(t, fixture(), fixtureNow, 2*time.Second)
	for _, banned := range []string{"<script", "<link", "src=", "href=", "@import", "url("} {
		require.NotContains(t, page, banned)
	}
	withoutSVGNamespace := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
	require.NotContains(t, withoutSVGNamespace, "http://")
	require.NotContains(t, withoutSVGNamespace, "https://")
}

func TestRenderPageEscapes(t *testing.T) {
	s := fixture()
	s.Job.State, s.Job.Error = JobFailed, `<script>alert("job")</script>`
	s.Workers[0].Host = "<b>host</b>"
	s.Attempts[2].Error = "<script>alert('attempt')</script>"
	page := render(t, s, fixtureNow, 0)
	require.NotContains(t, page, "<script")
	require.NotContains(t, page, "<b>host")
	require.Contains(t, page, "&lt;script&gt;")
}

func TestRenderPageCapsTables(t *testing.T) {
	const tasks, failures = 1200, 150
	s := Snapshot{Job: Job{State: JobRunning, Started: t0}}
	for i := range tasks {
		s.Tasks = append(s.Tasks, Task{ID: fmt.Sprintf("map-%d", i), Kind: KindMap, State: TaskIdle})
	}
	for i := range failures {
		s.Attempts = append(s.Attempts, Attempt{ID: fmt.Sprintf("map-%d.1", i), Worker: 1, Start: at(float64(i)),
			End: at(float64(i) + 1), Outcome: OutcomeFailed, Error: fmt.Sprintf("boom %d", i)})
	}
	page := render(t, s, at(failures), 0)
	require.Contains(t, page, fmt.Sprintf("showing %d of %d tasks", maxTaskRows, tasks))
	require.Equal(t, maxTaskRows, strings.Count(page, "</td><td></td><td>idle</td>"), "task rows")
	require.Contains(t, page, fmt.Sprintf("<td>map-%d</td>", maxTaskRows-1))
	require.NotContains(t, page, fmt.Sprintf("<td>map-%d</td>", maxTaskRows))

	require.Contains(t, page, fmt.Sprintf("showing the latest %d of %d", maxProblemRows, failures))
	require.Equal(t, maxProblemRows, strings.Count(page, "<td>boom "), "failed attempt rows")
	require.Contains(t, page, fmt.Sprintf("<td>boom %d</td>", failures-1), "latest kept")
	require.NotContains(t, page, "<td>boom 0</td>", "oldest dropped")
}

func TestRenderPageEmptySnapshot(t *testing.T) {
	page := render(t, Snapshot{}, t0, 0)
	for _, want := range []string{"0/0", "no counters yet", "no workers yet", "no tasks yet", "no attempts yet", "<svg"} {
		require.Contains(t, page, want)
	}
	require.Contains(t, page, `style="width: 0.00%"`)
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderPageWriteError(t *testing.T) {
	err := RenderPage(failingWriter{}, fixture(), fixtureNow, 0)
	require.ErrorContains(t, err, "disk full")
	require.ErrorContains(t, err, "write status page")
}

// TestRenderPageShowsRunningAttemptsStatus: a running attempt's status
// message shows beside it, escaped, and a finished attempt's does not.
func TestRenderPageShowsRunningAttemptsStatus(t *testing.T) {
	s := fixture()
	last := len(s.Attempts) - 1
	require.Equal(t, OutcomeRunning, s.Attempts[last].Outcome)
	require.NotContains(t, render(t, s, fixtureNow, 0), "Running attempts' status")
	s.Attempts[last].Status = "<i>42%</i> of the keys"
	s.Attempts[0].Status = "a finished attempt's last word"
	page := render(t, s, fixtureNow, 0)
	require.Contains(t, page, "Running attempts' status")
	require.Contains(t, page, "&lt;i&gt;42%&lt;/i&gt; of the keys")
	require.NotContains(t, page, "<i>42%")
	require.NotContains(t, page, "a finished attempt's last word</td>")
}
