package status

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"slices"
	"time"
)

// Table limits, so that a job with many tasks still renders quickly.
const (
	// maxTaskRows is the most tasks listed in the tasks table.
	maxTaskRows = 500
	// maxProblemRows is the most failed or revoked attempts listed; the
	// latest are shown.
	maxProblemRows = 100
)

// percent is 100%, for the widths of progress bars.
const percent = 100

// RenderPage writes the status page for s as a self-contained HTML
// document: no scripts, fonts or other resources are loaded, so it works
// offline. now is the time the page describes (heartbeat ages, running
// attempts). If refresh is positive the page reloads itself after that
// long (rounded up to whole seconds); if it is zero the page is static.
func RenderPage(w io.Writer, s Snapshot, now time.Time, refresh time.Duration) error {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, newPageData(s, now, refresh)); err != nil {
		return fmt.Errorf("render status page: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write status page: %w", err)
	}
	return nil
}

// pageData is what the page template shows, formatted for display.
type pageData struct {
	Refresh       int // seconds; 0 for none
	Job           Job
	Elapsed       string
	Started       string
	Ended         string
	Now           string
	Phases        []phaseView
	Counters      []counterView
	Workers       []workerView
	Timeline      template.HTML
	Attempts      int
	Tasks         []taskView
	TasksTotal    int
	Problems      []problemView
	ProblemsTotal int
	// Statuses lists the running attempts that reported a status.
	Statuses []problemView
}

// phaseView is one progress bar.
type phaseView struct {
	Name                    string
	Done, Running, Total    int
	DoneStyle, RunningStyle template.CSS
}

// counterView is one row of the counters table.
type counterView struct {
	Name  string
	Value int64
}

// workerView is one row of the workers table.
type workerView struct {
	Worker
	Heartbeat string
}

// taskView is one row of the tasks table.
type taskView struct {
	Task
	WorkerText   string
	DurationText string
}

// problemView is one row of the failed attempts table.
type problemView struct {
	Attempt
	IDText string
}

// newPageData formats s for the page template.
func newPageData(s Snapshot, now time.Time, refresh time.Duration) pageData {
	d := pageData{
		Job:           s.Job,
		Elapsed:       formatElapsed(elapsed(s.Job, now)),
		Started:       formatTime(s.Job.Started),
		Ended:         formatTime(s.Job.Ended),
		Now:           formatTime(now),
		Phases:        []phaseView{newPhaseView(KindMap, s.Maps), newPhaseView(KindReduce, s.Reduces)},
		Timeline:      template.HTML(Timeline(s, now)), // generated and escaped by Timeline
		Attempts:      len(s.Attempts),
		TasksTotal:    len(s.Tasks),
		ProblemsTotal: countFailures(s.Attempts),
	}
	if refresh > 0 {
		d.Refresh = int(math.Ceil(refresh.Seconds()))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Counters)) {
		d.Counters = append(d.Counters, counterView{Name: name, Value: s.Counters[name]})
	}
	workers := slices.SortedFunc(slices.Values(s.Workers), func(a, b Worker) int { return cmp.Compare(a.ID, b.ID) })
	for _, w := range workers {
		d.Workers = append(d.Workers, workerView{Worker: w, Heartbeat: formatAge(w.LastSeen, now)})
	}
	for _, t := range s.Tasks[:min(len(s.Tasks), maxTaskRows)] {
		v := taskView{Task: t, WorkerText: "-", DurationText: "-"}
		if t.Worker != 0 {
			v.WorkerText = fmt.Sprint(t.Worker)
		}
		if t.Duration > 0 {
			v.DurationText = formatRunTime(t.Duration)
		}
		d.Tasks = append(d.Tasks, v)
	}
	for _, a := range s.Attempts {
		if isFailure(a.Outcome) {
			d.Problems = append(d.Problems, problemView{Attempt: a, IDText: attemptID(a)})
		}
		if a.Outcome == OutcomeRunning && a.Status != "" {
			d.Statuses = append(d.Statuses, problemView{Attempt: a, IDText: attemptID(a)})
		}
	}
	d.Statuses = d.Statuses[max(len(d.Statuses)-maxProblemRows, 0):]
	d.Problems = d.Problems[max(len(d.Problems)-maxProblemRows, 0):]
	return d
}

// newPhaseView is the progress bar of phase p.
func newPhaseView(name string, p Phase) phaseView {
	v := phaseView{Name: name, Done: p.Done, Running: p.Running, Total: p.Total}
	donePct, runningPct := 0.0, 0.0
	if p.Total > 0 {
		donePct = min(max(float64(p.Done)/float64(p.Total)*percent, 0), percent)
		runningPct = min(max(float64(p.Running)/float64(p.Total)*percent, 0), percent-donePct)
	}
	v.DoneStyle = template.CSS(fmt.Sprintf("width: %.2f%%", donePct))
	v.RunningStyle = template.CSS(fmt.Sprintf("width: %.2f%%", runningPct))
	return v
}

// formatTime formats t as RFC 3339, or "" if t is zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// pageTemplate renders pageData.
var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageHTML is the page template. It loads nothing from the network.
const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
{{- if .Refresh}}
<meta http-equiv="refresh" content="{{.Refresh}}">
{{- end}}
<title>MapReduce job: {{.Job.State}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em 2em; color: #202124; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid #dde1e5; padding-bottom: 0.2em; }
.summary, .note, footer { color: #5f6368; }
.state { display: inline-block; padding: 0.1em 0.6em; border-radius: 0.8em; font-size: 0.8em; vertical-align: middle; background: #e8eaed; }
.state-running { background: #d2e3fc; color: #174ea6; }
.state-done { background: #ceead6; color: #0d652d; }
.state-failed { background: #fad2cf; color: #a50e0e; }
.error { color: #a50e0e; font-weight: bold; }
.phase { display: flex; align-items: center; gap: 0.8em; margin: 0.4em 0; }
.phase-name { width: 4em; }
.bar { display: flex; width: 30em; height: 1em; background: #e8eaed; border-radius: 0.2em; overflow: hidden; }
.bar .done { background: #2e9e44; }
.bar .running { background: #2f6fd6; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { text-align: left; padding: 0.2em 0.8em; border-bottom: 1px solid #eceff1; }
th { background: #f4f5f7; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.timeline-box { overflow-x: auto; }
</style>
</head>
<body>
<h1>MapReduce job <span class="state state-{{.Job.State}}">{{.Job.State}}</span></h1>
<p class="summary">elapsed {{.Elapsed}} &middot; {{.Job.Inputs}} inputs &middot; {{.Job.NReduce}} reduce tasks
{{- if .Started}} &middot; started {{.Started}}{{end}}
{{- if .Ended}} &middot; ended {{.Ended}}{{end}}</p>
{{- if .Job.Error}}
<p class="error">error: {{.Job.Error}}</p>
{{- end}}
{{- if .Job.Skipped}}
<p>skipped inputs: {{range $i, $s := .Job.Skipped}}{{if $i}}, {{end}}{{$s}}{{end}}</p>
{{- end}}
{{- if .Job.MapsRerun}}
<p>map outputs lost and made again: {{.Job.MapsRerun}} (see the lost attempts below)</p>
{{- end}}

<h2>Progress</h2>
{{- range .Phases}}
<div class="phase"><span class="phase-name">{{.Name}}</span><div class="bar"><div class="done" style="{{.DoneStyle}}"></div><div class="running" style="{{.RunningStyle}}"></div></div><span class="phase-count">{{.Done}}/{{.Total}}{{if .Running}} ({{.Running}} running){{end}}</span></div>
{{- end}}

<h2>Counters</h2>
{{- if .Counters}}
<table>
<tr><th>counter</th><th class="num">value</th></tr>
{{- range .Counters}}
<tr><td>{{.Name}}</td><td class="num">{{.Value}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="note">no counters yet</p>
{{- end}}

<h2>Workers</h2>
{{- if .Workers}}
<table>
<tr><th class="num">id</th><th>host</th><th>serves map output at</th><th class="num">pid</th><th>state</th><th>current attempt</th><th>last heartbeat</th><th class="num">tasks done</th><th class="num">failures</th></tr>
{{- range .Workers}}
<tr><td class="num">{{.ID}}</td><td>{{.Host}}</td><td>{{if .Server}}{{.Server}}{{else}}shared folder{{end}}</td><td class="num">{{.PID}}</td><td>{{.State}}</td><td>{{.Current}}</td><td>{{.Heartbeat}}</td><td class="num">{{.TasksDone}}</td><td class="num">{{.Failures}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="note">no workers yet</p>
{{- end}}

<h2>Timeline</h2>
<p class="note">{{.Attempts}} attempts; hover over a bar for details.</p>
<div class="timeline-box">
{{.Timeline}}</div>
{{- if .Statuses}}

<h2>Running attempts' status</h2>
<table>
<tr><th>attempt</th><th class="num">worker</th><th>status</th></tr>
{{- range .Statuses}}
<tr><td>{{.IDText}}</td><td class="num">{{.Worker}}</td><td>{{.Status}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Problems}}

<h2>Failed and revoked attempts, lost outputs</h2>
{{- if lt (len .Problems) .ProblemsTotal}}
<p class="note">showing the latest {{len .Problems}} of {{.ProblemsTotal}}</p>
{{- end}}
<table>
<tr><th>attempt</th><th class="num">worker</th><th>outcome</th><th>error</th></tr>
{{- range .Problems}}
<tr><td>{{.IDText}}</td><td class="num">{{.Worker}}</td><td>{{.Outcome}}</td><td>{{.Error}}</td></tr>
{{- end}}
</table>
{{- end}}

<h2>Tasks</h2>
{{- if lt (len .Tasks) .TasksTotal}}
<p class="note">showing {{len .Tasks}} of {{.TasksTotal}} tasks</p>
{{- end}}
{{- if .Tasks}}
<table>
<tr><th>id</th><th>input</th><th>state</th><th class="num">attempts</th><th class="num">worker</th><th class="num">duration</th></tr>
{{- range .Tasks}}
<tr><td>{{.ID}}</td><td>{{.Input}}</td><td>{{.State}}</td><td class="num">{{.Attempts}}</td><td class="num">{{.WorkerText}}</td><td class="num">{{.DurationText}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="note">no tasks yet</p>
{{- end}}

<footer><p>rendered {{.Now}}</p></footer>
</body>
</html>
`
