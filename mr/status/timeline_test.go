package status

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// svgDoc is what parseSVG finds in a timeline.
type svgDoc struct {
	width, height float64
	bars          map[string]map[string]string // data-attempt -> attributes
	titles        map[string]string            // data-attempt -> tooltip
	texts         []string                     // character data of <text> elements
}

// parseSVG checks that out is well-formed XML with an <svg> root and
// collects its bars and texts.
func parseSVG(t *testing.T, out string) svgDoc {
	t.Helper()
	doc := svgDoc{bars: map[string]map[string]string{}, titles: map[string]string{}}
	dec := xml.NewDecoder(strings.NewReader(out))
	var stack []string
	current := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err, "timeline is not well-formed XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			attrs := map[string]string{}
			for _, a := range tok.Attr {
				attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				require.Equal(t, "svg", tok.Name.Local)
				require.Equal(t, "http://www.w3.org/2000/svg", tok.Name.Space)
				doc.width, _ = strconv.ParseFloat(attrs["width"], 64)
				doc.height, _ = strconv.ParseFloat(attrs["height"], 64)
			}
			if tok.Name.Local == "rect" && attrs["class"] == "bar" {
				id := attrs["data-attempt"]
				require.NotContains(t, doc.bars, id, "duplicate bar")
				doc.bars[id] = attrs
				current = id
			}
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			if tok.Name.Local == "rect" {
				current = ""
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				require.Empty(t, strings.TrimSpace(string(tok)), "text outside <svg>")
				continue
			}
			switch stack[len(stack)-1] {
			case "title":
				doc.titles[current] += string(tok)
			case "text":
				doc.texts = append(doc.texts, string(tok))
			}
		}
	}
	require.Empty(t, stack, "unclosed elements")
	return doc
}

// barWidth is the width attribute of a bar.
func barWidth(t *testing.T, bar map[string]string) float64 {
	t.Helper()
	w, err := strconv.ParseFloat(bar["width"], 64)
	require.NoError(t, err)
	return w
}

// manyAttempts is a job of n short attempts spread over workers.
func manyAttempts(n, workers int) Snapshot {
	s := Snapshot{Job: Job{Started: t0, State: JobRunning}}
	for i := range n {
		s.Attempts = append(s.Attempts, Attempt{
			Task: fmt.Sprintf("map-%d", i), Attempt: 1, ID: fmt.Sprintf("map-%d.1", i),
			Worker: i%workers + 1, Start: at(float64(i) / 10), End: at(float64(i)/10 + 0.5),
			Outcome: OutcomeCommitted,
		})
	}
	return s
}

func TestTimelineAttemptCounts(t *testing.T) {
	for _, tc := range []struct {
		name     string
		snap     Snapshot
		now      time.Time
		rows     int
		attempts int
	}{
		{"empty", Snapshot{}, t0, 0, 0},
		{"workers but no attempts", Snapshot{Workers: []Worker{{ID: 1}, {ID: 2}}, Job: Job{Started: t0}}, at(1), 2, 0},
		{"one attempt", manyAttempts(1, 1), at(1), 1, 1},
		{"fixture", fixture(), fixtureNow, 3, 15},
		{"thousands", manyAttempts(5000, 40), at(600), 40, 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := Timeline(tc.snap, tc.now)
			doc := parseSVG(t, out)
			require.Len(t, doc.bars, tc.attempts)
			require.Len(t, doc.titles, tc.attempts)
			require.Equal(t, float64(timelineWidth), doc.width)
			require.Equal(t, float64(legendHeight+max(tc.rows, 1)*rowHeight+axisHeight), doc.height)
			for i := 1; i <= tc.rows; i++ {
				require.Contains(t, doc.texts, fmt.Sprintf("worker %d", i))
			}
			if tc.attempts == 0 {
				require.Contains(t, doc.texts, "no attempts yet")
			} else {
				require.NotContains(t, doc.texts, "no attempts yet")
			}
			require.Regexp(t, `^0(\.0+)?s$`, doc.texts[len(legendOrder)+1+tc.rows], "time axis starts at 0")
			for _, bar := range doc.bars {
				x, err := strconv.ParseFloat(bar["x"], 64)
				require.NoError(t, err)
				require.GreaterOrEqual(t, x, plotLeft)
				require.LessOrEqual(t, x+barWidth(t, bar), plotRight+1e-9)
			}
		})
	}
}

func TestTimelineRunningAttemptEndsAtNow(t *testing.T) {
	s := Snapshot{Job: Job{Started: t0, State: JobRunning}, Attempts: []Attempt{
		{ID: "map-0.1", Worker: 1, Start: t0, End: at(5), Outcome: OutcomeCommitted},
		{ID: "map-1.1", Worker: 2, Start: t0, Outcome: OutcomeRunning},
	}}
	doc := parseSVG(t, Timeline(s, at(10)))
	require.InDelta(t, plotWidth, barWidth(t, doc.bars["map-1.1"]), 0.1, "running bar reaches now, the right edge")
	require.InDelta(t, plotWidth/2, barWidth(t, doc.bars["map-0.1"]), 0.1)
	require.Contains(t, doc.titles["map-1.1"], "10s")

	doc = parseSVG(t, Timeline(s, at(20)))
	require.InDelta(t, plotWidth/4, barWidth(t, doc.bars["map-0.1"]), 0.1, "later now, longer axis")
	require.InDelta(t, plotWidth, barWidth(t, doc.bars["map-1.1"]), 0.1)
	require.Contains(t, doc.titles["map-1.1"], "20s")
}

func TestTimelineColours(t *testing.T) {
	want := map[string]string{
		OutcomeCommitted:  colourCommitted,
		OutcomeRunning:    colourRunning,
		OutcomeRevoked:    colourRevoked,
		OutcomeFailed:     colourFailed,
		OutcomeIgnored:    colourInactive,
		OutcomeSuperseded: colourInactive,
		OutcomeReleased:   colourInactive,
		OutcomeLost:       colourLost,
		"mystery":         colourUnknown,
	}
	s := Snapshot{Job: Job{Started: t0}}
	for outcome := range want {
		s.Attempts = append(s.Attempts, Attempt{ID: outcome, Worker: 1, Start: t0, End: at(1), Outcome: outcome})
	}
	doc := parseSVG(t, Timeline(s, at(1)))
	for outcome, colour := range want {
		require.Equal(t, colour, doc.bars[outcome]["fill"], outcome)
		require.Contains(t, doc.titles[outcome], outcome)
	}
	distinct := map[string]bool{}
	for _, c := range []string{colourCommitted, colourRunning, colourRevoked, colourFailed, colourInactive} {
		distinct[c] = true
	}
	require.Len(t, distinct, 5, "outcome colours must be distinguishable")
	for _, outcome := range legendOrder {
		require.Contains(t, doc.texts, outcome, "legend entry")
	}
	require.Contains(t, doc.texts, "backup", "legend entry")
}

func TestTimelineBackupOutline(t *testing.T) {
	s := Snapshot{Job: Job{Started: t0}, Attempts: []Attempt{
		{ID: "map-0.1", Worker: 1, Start: t0, End: at(2), Outcome: OutcomeCommitted},
		{ID: "map-0.2", Worker: 2, Start: at(1), End: at(2), Outcome: OutcomeSuperseded, Backup: true},
	}}
	doc := parseSVG(t, Timeline(s, at(2)))
	require.Equal(t, backupDashes, doc.bars["map-0.2"]["stroke-dasharray"])
	require.NotContains(t, doc.bars["map-0.1"], "stroke-dasharray")
	require.Contains(t, doc.titles["map-0.2"], "backup")
	require.NotContains(t, doc.titles["map-0.1"], "backup")
}

func TestTimelineEscapesText(t *testing.T) {
	evil := `<script>alert("x")</script> & ]]> 'quoted'` + "\x00"
	s := Snapshot{Job: Job{Started: t0}, Attempts: []Attempt{
		{ID: `map-0.1"><script>`, Worker: 1, Start: t0, End: at(1), Outcome: OutcomeFailed, Error: evil},
	}}
	out := Timeline(s, at(1))
	require.NotContains(t, out, "<script")
	require.NotContains(t, out, "\x00")
	doc := parseSVG(t, out)
	title := doc.titles[`map-0.1"><script>`]
	require.Contains(t, title, `error: <script>alert("x")</script> & ]]> 'quoted'`, "text survives escaping")
	require.Contains(t, title, "worker 1")
	require.Contains(t, title, "1s")
}

func TestTimelineZeroDurationBar(t *testing.T) {
	s := Snapshot{Job: Job{Started: t0}, Attempts: []Attempt{
		{ID: "map-0.1", Worker: 1, Start: at(3), End: at(3), Outcome: OutcomeFailed},
		{ID: "map-1.1", Worker: 1, Start: at(10), End: at(10), Outcome: OutcomeFailed},
		{ID: "map-2.1", Worker: 2, Outcome: OutcomeIgnored}, // no times at all
	}}
	doc := parseSVG(t, Timeline(s, at(10)))
	for id, bar := range doc.bars {
		require.Equal(t, minBarWidth, barWidth(t, bar), id)
	}
	x, err := strconv.ParseFloat(doc.bars["map-1.1"]["x"], 64)
	require.NoError(t, err)
	require.InDelta(t, plotRight-minBarWidth, x, 1e-9, "a bar at the right edge stays inside the plot")
}

func TestTimelineStartsAtFirstAttemptWithoutJobStart(t *testing.T) {
	s := Snapshot{Attempts: []Attempt{
		{ID: "map-0.1", Worker: 1, Start: at(100), End: at(102), Outcome: OutcomeCommitted},
		{ID: "map-1.1", Worker: 1, Start: at(102), End: at(104), Outcome: OutcomeCommitted},
	}}
	doc := parseSVG(t, Timeline(s, at(104)))
	require.Equal(t, fmt.Sprintf("%.1f", plotLeft), doc.bars["map-0.1"]["x"])
	require.InDelta(t, plotWidth/2, barWidth(t, doc.bars["map-1.1"]), 0.1)
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		raw, want float64
		decimals  int
	}{
		{0.9, 1, 0},
		{1, 1, 0},
		{1.2, 2, 0},
		{3, 5, 0},
		{7, 10, 0},
		{42, 50, 0},
		{0.13, 0.2, 1},
		{0.04, 0.05, 2},
		{0.01, 0.01, 2},
		{0, 1, 0},
	} {
		got := niceStep(tc.raw)
		require.InDelta(t, tc.want, got, 1e-12, "niceStep(%v)", tc.raw)
		require.Equal(t, tc.decimals, stepDecimals(got), "stepDecimals(%v)", got)
	}
}

func BenchmarkTimeline(b *testing.B) {
	s := manyAttempts(10000, 64)
	now := at(1000)
	for b.Loop() {
		_ = Timeline(s, now)
	}
}

// TestTimelineOfManyWorkersIsCapped: past maxTimelineRows workers the
// timeline draws the first workers' attempts only, and says so.
func TestTimelineOfManyWorkersIsCapped(t *testing.T) {
	const workers = maxTimelineRows + 100
	s := Snapshot{Job: Job{Started: t0}}
	for w := 1; w <= workers; w++ {
		s.Workers = append(s.Workers, Worker{ID: w})
		s.Attempts = append(s.Attempts, Attempt{ID: fmt.Sprintf("map-%d.1", w), Worker: w, Start: t0, End: at(1), Outcome: OutcomeCommitted})
	}
	doc := parseSVG(t, Timeline(s, at(1)))
	require.Len(t, doc.bars, maxTimelineRows)
	require.Contains(t, doc.bars, fmt.Sprintf("map-%d.1", maxTimelineRows))
	require.NotContains(t, doc.bars, fmt.Sprintf("map-%d.1", maxTimelineRows+1), "workers past the cap have no row")
	require.Contains(t, doc.texts, fmt.Sprintf("showing %d of %d attempts, on %d of %d workers", maxTimelineRows, workers, maxTimelineRows, workers))
	require.Equal(t, float64(legendHeight+maxTimelineRows*rowHeight+axisHeight+noteHeight), doc.height)
}

// TestTimelineBarsOfAHugeJob: past maxTimelineBars attempts the timeline
// draws every failure and an even sample of the rest.
func TestTimelineBarsOfAHugeJob(t *testing.T) {
	const attempts = 3 * maxTimelineBars
	var all []Attempt
	for i := range attempts {
		outcome := OutcomeCommitted
		if i%1000 == 1 {
			outcome = OutcomeRevoked
		}
		all = append(all, Attempt{Attempt: i, Worker: 1 + i%2, Outcome: outcome})
	}
	bars := timelineBars(all, map[int]int{1: 0, 2: 1})
	require.LessOrEqual(t, len(bars), maxTimelineBars+attempts/1000)
	require.GreaterOrEqual(t, len(bars), maxTimelineBars)
	revoked := 0
	for _, a := range bars {
		if a.Outcome == OutcomeRevoked {
			revoked++
		}
	}
	require.Equal(t, attempts/1000, revoked, "every failure is drawn")
	require.Len(t, timelineBars(all[:maxTimelineBars], map[int]int{1: 0, 2: 1}), maxTimelineBars, "up to the cap, all are drawn")
	require.Len(t, timelineBars(all[:10], map[int]int{1: 0}), 5, "only those on a drawn row")
}

func BenchmarkWriteReport(b *testing.B) {
	s := manyAttempts(2010, 4)
	dir := b.TempDir()
	for b.Loop() {
		if _, _, err := WriteReport(dir, "mr-report", s); err != nil {
			b.Fatal(err)
		}
	}
}
