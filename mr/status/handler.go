package status

import (
	"bytes"
	"expvar"
	"net/http"
	"net/http/pprof"
	"time"
)

// pageRefresh is how often the served status page reloads itself.
const pageRefresh = 2 * time.Second

// Content types of the served documents.
const (
	contentHTML = "text/html; charset=utf-8"
	contentJSON = "application/json"
)

// NewHandler serves the status of a job, calling source for a fresh
// snapshot on every request:
//
//	/             the status page, reloading every 2 seconds
//	/status.json  the snapshot as indented JSON
//	/debug/vars   expvar variables
//	/debug/pprof/ net/http/pprof profiles (and its subpaths)
//
// Any other path is 404. The handlers are registered on a private
// ServeMux, not on http.DefaultServeMux. debugAllowed, if not nil, decides
// which requests may reach /debug/ (profiles, variables and the command
// line); the others get 403. A nil debugAllowed allows all, for a server
// on a loopback address.
func NewHandler(source func() Snapshot, debugAllowed func(*http.Request) bool) http.Handler {
	return NewGuardedHandler(source, debugAllowed, nil)
}

// NewGuardedHandler is NewHandler, except that the requests that
// detailAllowed refuses (unless it is nil) get the progress view of each
// snapshot (Snapshot.ProgressView) at / and /status.json: counts, without
// hosts, addresses, inputs or error texts.
func NewGuardedHandler(source func() Snapshot, debugAllowed, detailAllowed func(*http.Request) bool) http.Handler {
	view := func(r *http.Request) Snapshot {
		s := source()
		if detailAllowed != nil && !detailAllowed(r) {
			return s.ProgressView()
		}
		return s
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		if err := RenderPage(&buf, view(r), time.Now(), pageRefresh); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		send(w, contentHTML, buf.Bytes())
	})
	mux.HandleFunc("GET /status.json", func(w http.ResponseWriter, r *http.Request) {
		b, err := encodeIndented(view(r))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		send(w, contentJSON, b)
	})
	debug := http.NewServeMux()
	debug.Handle("/debug/vars", expvar.Handler())
	debug.HandleFunc("/debug/pprof/", pprof.Index)
	debug.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	debug.HandleFunc("/debug/pprof/profile", pprof.Profile)
	debug.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	debug.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/", func(w http.ResponseWriter, r *http.Request) {
		if debugAllowed != nil && !debugAllowed(r) {
			http.Error(w, "forbidden: the debug pages need the job's secret on a non-loopback address", http.StatusForbidden)
			return
		}
		debug.ServeHTTP(w, r)
	})
	return mux
}

// send writes body as an uncached response of the given content type. A
// failed write means the client went away, so its error is not reported.
func send(w http.ResponseWriter, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}
