// Package status renders what the coordinator knows about a running
// MapReduce job: a live HTML page with progress bars, worker and task
// tables and an SVG timeline of every attempt; the same data as JSON; a
// one-line progress summary for a terminal; and a self-contained report
// written when the job ends.
//
// The package is fed plain data (a Snapshot) and imports nothing else from
// this repository, so the coordinator decides how and when to build a
// snapshot and this package only presents it.
//
// NewHandler serves the page at "/", the snapshot at "/status.json", and
// the standard expvar and pprof debugging endpoints on its own ServeMux.
// Note that importing expvar and net/http/pprof also registers their
// handlers on http.DefaultServeMux; programs that serve DefaultServeMux
// should be aware of that.
package status
