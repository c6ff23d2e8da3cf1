package status

import (
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Timeline geometry, in pixels.
const (
	timelineWidth = 1000 // width of the whole drawing
	labelWidth    = 80   // left gutter holding the "worker N" labels
	labelGap      = 6    // space between a label and the plot
	rightMargin   = 20   // room for the last tick label
	legendHeight  = 26   // legend strip above the plot
	rowHeight     = 20   // one row per worker
	barHeight     = 14   // height of an attempt bar within its row
	axisHeight    = 28   // time axis below the plot
	tickLength    = 4    // tick marks on the axis
	fontSize      = 11   // all text
	minBarWidth   = 1.0  // so that instant attempts stay visible
	legendSwatch  = 12   // side of a legend colour square
	legendItem    = 100  // horizontal space per legend entry
	backupStroke  = 1.5  // outline width of backup attempts
)

// Timeline scale.
const (
	// tickTarget is roughly how many intervals the time axis is split into.
	tickTarget = 6
	// minSpan is the shortest time range drawn, so that a job that has
	// just started does not divide by zero.
	minSpan = time.Second
	// tickSlack lets the last tick sit at the very end of the axis despite
	// floating-point rounding.
	tickSlack = 1e-9
)

// Timeline colours.
const (
	colourCommitted = "#2e9e44" // green
	colourRunning   = "#2f6fd6" // blue
	colourRevoked   = "#f08c00" // orange
	colourFailed    = "#d63031" // red
	colourInactive  = "#a0a4a8" // grey: ignored, superseded and released
	colourLost      = "#8e44ad" // purple: committed, output lost later
	colourUnknown   = "#5f6368" // dark grey: any other outcome
	colourOutline   = "#202124" // outline of backup attempts
	colourStripe    = "#f4f5f7" // background of alternate rows
	colourGrid      = "#dde1e5" // vertical grid lines
	colourAxis      = "#5f6368" // axis line, ticks and labels
	backupDashes    = "3 2"     // dash pattern of backup outlines
)

// outcomeColours maps each attempt outcome to the fill of its bars.
var outcomeColours = map[string]string{
	OutcomeCommitted:  colourCommitted,
	OutcomeRunning:    colourRunning,
	OutcomeRevoked:    colourRevoked,
	OutcomeFailed:     colourFailed,
	OutcomeIgnored:    colourInactive,
	OutcomeSuperseded: colourInactive,
	OutcomeReleased:   colourInactive,
	OutcomeLost:       colourLost,
}

// legendOrder is the order of the outcomes in the legend.
var legendOrder = []string{
	OutcomeCommitted, OutcomeRunning, OutcomeRevoked, OutcomeFailed,
	OutcomeIgnored, OutcomeSuperseded, OutcomeReleased, OutcomeLost,
}

// A timeline draws at most maxTimelineRows workers (those with the lowest
// ids) and maxTimelineBars of their attempts: every failed, revoked or lost
// one, and an even sample of the rest. A job of ten thousand workers and a
// million attempts would otherwise draw a page hundreds of megabytes long,
// and 200,000 pixels tall, on every refresh of the status page.
const (
	maxTimelineRows = 200
	maxTimelineBars = 20_000
)

// Timeline draws the attempts of s as an inline SVG document: one row per
// worker, one bar per attempt from its start to its end (or to now while it
// runs), coloured by outcome, with backup attempts outlined in dashes.
// Each bar has a tooltip; a legend sits above and a time axis, in seconds
// since the job started, below. The width is fixed and the height grows
// with the number of workers, up to maxTimelineRows; past that, or past
// maxTimelineBars attempts, a line under the legend says what is shown.
// All text is XML-escaped.
func Timeline(s Snapshot, now time.Time) string {
	rows := timelineRows(s)
	allRows := len(rows)
	rows = rows[:min(len(rows), maxTimelineRows)]
	rowOf := make(map[int]int, len(rows))
	for i, id := range rows {
		rowOf[id] = i
	}
	bars := timelineBars(s.Attempts, rowOf)
	origin, span := timelineSpan(s, now)
	plotHeight := max(len(rows), 1) * rowHeight
	height := legendHeight + plotHeight + axisHeight
	capped := len(bars) < len(s.Attempts) || len(rows) < allRows
	if capped {
		height += noteHeight
	}
	p := plot{origin: origin, span: span}

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="%d" role="img" aria-label="attempt timeline">`+"\n",
		timelineWidth, height, timelineWidth, height, fontSize)
	writeLegend(&b)
	writeRows(&b, rows)
	writeAxis(&b, p, plotHeight)
	if len(s.Attempts) == 0 {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" dominant-baseline="middle" fill="%s">no attempts yet</text>`+"\n",
			plotLeft+plotWidth/2, legendHeight+plotHeight/2, colourAxis)
	}
	for _, a := range bars {
		writeBar(&b, p, rowOf[a.Worker], a, now)
	}
	if capped {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" fill="%s">showing %d of %d attempts, on %d of %d workers</text>`+"\n",
			plotLeft, height-noteHeight/2, colourAxis, len(bars), len(s.Attempts), len(rows), allRows)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// noteHeight is the strip under the axis that says what a capped
// timeline shows.
const noteHeight = 18

// timelineBars returns the attempts to draw: those on the rows of rowOf,
// all of them up to maxTimelineBars, else every failed, revoked or lost
// one and an even sample of the rest.
func timelineBars(attempts []Attempt, rowOf map[int]int) []Attempt {
	onRow := func(a *Attempt) bool { _, ok := rowOf[a.Worker]; return ok }
	// Counted first, not gathered: at a million attempts on few workers,
	// the attempts on the rows are nearly all of them.
	onRows := 0
	for i := range attempts {
		if onRow(&attempts[i]) {
			onRows++
		}
	}
	every := max((onRows+maxTimelineBars-1)/maxTimelineBars, 1)
	var bars []Attempt
	seen := 0
	for i := range attempts {
		a := &attempts[i]
		if !onRow(a) {
			continue
		}
		if seen%every == 0 || isFailure(a.Outcome) {
			bars = append(bars, *a)
		}
		seen++
	}
	return bars
}

// The plot area, right of the labels and between legend and axis.
const (
	plotLeft  = float64(labelWidth)
	plotWidth = float64(timelineWidth - labelWidth - rightMargin)
	plotRight = plotLeft + plotWidth
)

// plot maps times to x coordinates.
type plot struct {
	origin time.Time     // x = plotLeft
	span   time.Duration // from plotLeft to plotRight
}

// x is the coordinate of t, clamped to the plot.
func (p plot) x(t time.Time) float64 {
	if t.IsZero() {
		return plotLeft
	}
	frac := float64(t.Sub(p.origin)) / float64(p.span)
	return min(max(plotLeft+frac*plotWidth, plotLeft), plotRight)
}

// timelineRows is the sorted ids of the workers to draw: every known
// worker and every worker that ran an attempt.
func timelineRows(s Snapshot) []int {
	seen := make(map[int]bool)
	var ids []int
	add := func(id int) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, w := range s.Workers {
		add(w.ID)
	}
	for _, a := range s.Attempts {
		add(a.Worker)
	}
	slices.Sort(ids)
	return ids
}

// timelineSpan is the time range to draw: from the job's start (or the
// first attempt) to its end (or now), stretched to cover every attempt and
// at least minSpan long.
func timelineSpan(s Snapshot, now time.Time) (origin time.Time, span time.Duration) {
	origin = s.Job.Started
	end := s.Job.Ended
	if end.IsZero() {
		end = now
	}
	for _, a := range s.Attempts {
		if !a.Start.IsZero() && (origin.IsZero() || a.Start.Before(origin)) {
			origin = a.Start
		}
		if e := attemptEnd(a, now); e.After(end) {
			end = e
		}
	}
	if origin.IsZero() {
		origin = now
	}
	return origin, max(end.Sub(origin), minSpan)
}

// writeLegend draws one swatch per outcome and one for backup attempts.
func writeLegend(b *strings.Builder) {
	y := (legendHeight - legendSwatch) / 2
	textY := legendHeight / 2
	x := labelWidth
	for _, outcome := range legendOrder {
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/><text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n",
			x, y, legendSwatch, legendSwatch, outcomeColours[outcome], x+legendSwatch+labelGap, textY, outcome)
		x += legendItem
	}
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="%s" stroke-width="%.1f" stroke-dasharray="%s"/><text x="%d" y="%d" dominant-baseline="middle">backup</text>`+"\n",
		x, y, legendSwatch, legendSwatch, colourOutline, backupStroke, backupDashes, x+legendSwatch+labelGap, textY)
}

// writeRows draws the striped row backgrounds and the worker labels.
func writeRows(b *strings.Builder, rows []int) {
	for i, id := range rows {
		top := legendHeight + i*rowHeight
		if i%2 == 0 {
			fmt.Fprintf(b, `<rect x="0" y="%d" width="%d" height="%d" fill="%s"/>`+"\n",
				top, timelineWidth, rowHeight, colourStripe)
		}
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" dominant-baseline="middle">worker %d</text>`+"\n",
			labelWidth-labelGap, top+rowHeight/2, id)
	}
}

// writeAxis draws the grid lines, the time axis and its tick labels.
func writeAxis(b *strings.Builder, p plot, plotHeight int) {
	axisY := legendHeight + plotHeight
	spanSec := p.span.Seconds()
	step := niceStep(spanSec / tickTarget)
	decimals := stepDecimals(step)
	for i := 0; ; i++ {
		v := float64(i) * step
		if v > spanSec*(1+tickSlack) {
			break
		}
		x := plotLeft + v/spanSec*plotWidth
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n",
			x, legendHeight, x, axisY, colourGrid)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n",
			x, axisY, x, axisY+tickLength, colourAxis)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" fill="%s">%.*fs</text>`+"\n",
			x, axisY+tickLength+fontSize, colourAxis, decimals, v)
	}
	fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n",
		plotLeft, axisY, plotRight, axisY, colourAxis)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end" fill="%s">time</text>`+"\n",
		labelWidth-labelGap, axisY+tickLength+fontSize, colourAxis)
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// stepDecimals is the number of decimals that tick labels a step apart
// need.
func stepDecimals(step float64) int {
	if step >= 1 {
		return 0
	}
	return int(math.Ceil(-math.Log10(step) - tickSlack))
}

// writeBar draws attempt a in the given row, with its tooltip.
func writeBar(b *strings.Builder, p plot, row int, a Attempt, now time.Time) {
	start := a.Start
	if start.IsZero() {
		start = p.origin
	}
	end := attemptEnd(a, now)
	x0 := p.x(start)
	w := max(p.x(end)-x0, minBarWidth)
	if x0+w > plotRight {
		x0 = plotRight - w
	}
	y := legendHeight + row*rowHeight + (rowHeight-barHeight)/2
	fill, ok := outcomeColours[a.Outcome]
	if !ok {
		fill = colourUnknown
	}
	outline := ""
	if a.Backup {
		outline = fmt.Sprintf(` stroke="%s" stroke-width="%.1f" stroke-dasharray="%s"`, colourOutline, backupStroke, backupDashes)
	}
	fmt.Fprintf(b, `<rect class="bar" data-attempt="%s" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"%s><title>%s</title></rect>`+"\n",
		xmlEscape(attemptID(a)), x0, y, w, barHeight, fill, outline, xmlEscape(tooltip(a, end.Sub(start))))
}

// tooltip describes attempt a, which ran for d, one fact per line.
func tooltip(a Attempt, d time.Duration) string {
	lines := []string{
		attemptID(a),
		fmt.Sprintf("worker %d", a.Worker),
		formatRunTime(d),
		a.Outcome,
	}
	if a.Backup {
		lines = append(lines, "backup")
	}
	if a.Status != "" {
		lines = append(lines, "status: "+a.Status)
	}
	if a.Error != "" {
		lines = append(lines, "error: "+a.Error)
	}
	return strings.Join(lines, "\n")
}

// xmlEscape escapes s for XML text and attribute values, replacing
// characters that XML cannot hold.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder never fails
	return b.String()
}
