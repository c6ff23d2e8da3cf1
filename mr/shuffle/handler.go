package shuffle

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"

	"6.5840/mr/ifile"
	"6.5840/mr/netguard"
)

const (
	// DefaultWriteIdleTimeout is how long the handler waits, by default,
	// for a client that stopped reading before it drops the reply.
	DefaultWriteIdleTimeout = 30 * time.Second
	// authScheme names the scheme in a 401 reply's WWW-Authenticate.
	authScheme = "MR-HMAC-SHA256"
	// copyBufferSize is the size of the handler's read buffer, one ifile
	// block.
	copyBufferSize = 64 << 10
)

// copyBuffers recycles the handler's read buffers across requests.
var copyBuffers = sync.Pool{New: func() any {
	b := make([]byte, copyBufferSize)
	return &b
}}

// HandlerConfig configures the handler NewHandler returns.
type HandlerConfig struct {
	// Key authenticates requests and replies. It must be at least
	// MinKeySize bytes; it is never logged.
	Key []byte
	// Job is the id of the job whose map outputs the handler serves; a
	// request for another job is refused.
	Job string
	// Lookup returns the path of the map output file of the given map
	// task and attempt, and ok, only if this worker committed that
	// attempt. It is the only source of paths the handler opens.
	Lookup func(mapTask, attempt int) (path string, ok bool)
	// Logger receives Warn records for refused requests, at most
	// netguard.LogBurst per RefusalLogEvery with a count of those left
	// out, and an Error record for each map output that cannot be served.
	// Nil discards.
	Logger *slog.Logger
	// RefusalLogEvery is the interval of the limit on records of refused
	// requests: anyone who can connect can send them. Zero means
	// netguard.DefaultLogEvery; negative, a record for each.
	RefusalLogEvery time.Duration
	// Now is the server's clock, against which a request's time is
	// checked. Nil means time.Now.
	Now func() time.Time
	// WriteIdleTimeout bounds each write of a reply's body, so that a
	// client that stops reading does not hold the file open. Zero means
	// DefaultWriteIdleTimeout.
	WriteIdleTimeout time.Duration
}

// validate returns an error for the first bad field of c.
func (c HandlerConfig) validate() error {
	switch {
	case len(c.Key) < MinKeySize:
		return fmt.Errorf("shuffle: key of %d bytes, want at least %d", len(c.Key), MinKeySize)
	case c.Job == "":
		return errors.New("shuffle: empty job id")
	case c.Lookup == nil:
		return errors.New("shuffle: nil Lookup")
	case c.WriteIdleTimeout < 0:
		return fmt.Errorf("shuffle: negative write idle timeout %v", c.WriteIdleTimeout)
	}
	return nil
}

// handler serves map output sections; see NewHandler.
type handler struct {
	key       []byte
	job       string
	lookup    func(mapTask, attempt int) (string, bool)
	log       *slog.Logger
	now       func() time.Time
	writeIdle time.Duration
	// open opens a file read-only; tests replace it to see what is opened.
	open func(path string) (*os.File, error)
	// refusals logs refused requests, at a bounded rate: anyone can send
	// them.
	refusals *netguard.RateLog
}

// NewHandler returns the handler of a worker's map outputs. It serves
// GET Path only, as the package comment describes: another method is
// 405, another path 404. It opens only the files Lookup names, read-only,
// and only for requests signed with cfg.Key for cfg.Job.
func NewHandler(cfg HandlerConfig) (http.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &handler{
		key:       cfg.Key,
		job:       cfg.Job,
		lookup:    cfg.Lookup,
		log:       cfg.Logger,
		now:       cfg.Now,
		writeIdle: cfg.WriteIdleTimeout,
		open:      openReadOnly,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.writeIdle == 0 {
		h.writeIdle = DefaultWriteIdleTimeout
	}
	h.refusals = netguard.NewRateLog(h.log, cfg.RefusalLogEvery)
	return h, nil
}

// openReadOnly opens path for reading only.
func openReadOnly(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY, 0)
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The path is compared as sent, never cleaned, so that no request
	// for another path is turned into this one.
	if r.URL.Path != Path || r.URL.RawPath != "" {
		h.refusals.Warn("shuffle request for another path", "remote", r.RemoteAddr, "path", r.URL.EscapedPath())
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	req, sig, status, reason := h.authenticate(r)
	if status != http.StatusOK {
		h.refusals.Warn("shuffle request refused", "remote", r.RemoteAddr, "status", status, "reason", reason)
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", authScheme)
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	path, ok := h.lookup(req.mapTask, req.attempt)
	if !ok {
		h.log.Info("shuffle request for an unknown map output", "remote", r.RemoteAddr, "request", req)
		h.notFound(w, sig, "not a committed map output of this worker")
		return
	}
	h.serve(w, r, req, sig, path)
}

// authenticate checks r's query, time and signature, returning the
// request and its signature, or the status to refuse it with and why.
func (h *handler) authenticate(r *http.Request) (req request, sig string, status int, reason string) {
	times, sigs := r.Header.Values(HeaderTime), r.Header.Values(HeaderSignature)
	if len(times) == 0 || len(sigs) == 0 {
		return req, "", http.StatusUnauthorized, "unsigned request"
	}
	req, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return req, "", http.StatusBadRequest, err.Error()
	}
	if len(times) > 1 || len(sigs) > 1 {
		return req, "", http.StatusForbidden, "repeated signature headers"
	}
	unix, ok := parseDecimal(times[0], timeBits)
	if !ok {
		return req, "", http.StatusForbidden, "bad time header"
	}
	if skew := unix - h.now().Unix(); max(skew, -skew) > int64(MaxSkew/time.Second) {
		return req, "", http.StatusForbidden, fmt.Sprintf("request time %+ds off the server's clock", skew)
	}
	if !equalMAC(sigs[0], signRequest(h.key, req, unix)) {
		return req, "", http.StatusForbidden, "bad signature for " + req.String()
	}
	if req.job != h.job {
		return req, "", http.StatusForbidden, fmt.Sprintf("job %q, serving %q", req.job, h.job)
	}
	return req, sigs[0], http.StatusOK, ""
}

// serve sends section req.reduce of the map output file at path, then
// its MAC.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, req request, sig, path string) {
	f, err := h.open(path)
	if err != nil {
		h.fail(w, r, req, sig, err)
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		h.fail(w, r, req, sig, err)
		return
	}
	if !info.Mode().IsRegular() {
		h.fail(w, r, req, sig, fmt.Errorf("%s: %w (not a regular file)", path, ifile.ErrFormat))
		return
	}
	offset, length, err := ifile.SectionRange(f, info.Size(), path, req.reduce)
	if err != nil {
		h.fail(w, r, req, sig, err)
		return
	}
	header := w.Header()
	header.Set("Content-Type", contentType)
	header.Set("Content-Length", strconv.FormatInt(length+MACSize, 10))
	header.Set("Cache-Control", "no-store")
	header.Set("X-Content-Type-Options", "nosniff")
	header.Set(HeaderReplySignature, signReply(h.key, sig))
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	// The server keeps a write deadline across requests on a connection
	// unless it has a WriteTimeout of its own: clear ours when done.
	defer rc.SetWriteDeadline(time.Time{})
	body := newBodyMAC(h.key, sig)
	if err := h.copy(rc, w, io.NewSectionReader(f, offset, length), body); err != nil {
		var readErr *readError
		if errors.As(err, &readErr) {
			h.log.Error("shuffle read failed", "remote", r.RemoteAddr, "request", req, "err", err)
			// Cut the reply short: the client sees a short body.
			panic(http.ErrAbortHandler)
		}
		h.log.Debug("shuffle reply not delivered", "remote", r.RemoteAddr, "request", req, "err", err)
		return
	}
	if err := h.write(rc, w, body.Sum(nil)); err != nil {
		h.log.Debug("shuffle reply not delivered", "remote", r.RemoteAddr, "request", req, "err", err)
		return
	}
	h.setWriteDeadline(rc)
	if err := rc.Flush(); err != nil {
		h.log.Debug("shuffle reply not delivered", "remote", r.RemoteAddr, "request", req, "err", err)
	}
}

// fail answers a request for a map output that cannot be served: 404 if
// the file is gone or damaged (the map output is lost, and retrying will
// not find it), 500 otherwise.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, req request, sig string, err error) {
	status := http.StatusInternalServerError
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, ifile.ErrFormat) {
		status = http.StatusNotFound
	}
	h.log.Error("shuffle map output not served", "remote", r.RemoteAddr, "request", req, "status", status, "err", err)
	if status == http.StatusNotFound {
		h.notFound(w, sig, http.StatusText(status))
		return
	}
	http.Error(w, http.StatusText(status), status)
}

// notFound answers an authenticated request with a signed 404: the
// reducer counts the map output lost only on a 404 it can trust.
func (h *handler) notFound(w http.ResponseWriter, sig, text string) {
	w.Header().Set(HeaderReplySignature, signNotFound(h.key, sig))
	http.Error(w, text, http.StatusNotFound)
}

// readError marks an error reading the map output file, as opposed to
// writing the reply.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// copy writes src to w and to mac, each write bounded by the write idle
// timeout.
func (h *handler) copy(rc *http.ResponseController, w io.Writer, src io.Reader, mac io.Writer) error {
	bufp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bufp)
	buf := *bufp
	for {
		n, err := src.Read(buf)
		if n > 0 {
			mac.Write(buf[:n])
			if werr := h.write(rc, w, buf[:n]); werr != nil {
				return werr
			}
		}
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return &readError{err}
		}
	}
}

// write writes p to w within the write idle timeout.
func (h *handler) write(rc *http.ResponseController, w io.Writer, p []byte) error {
	h.setWriteDeadline(rc)
	_, err := w.Write(p)
	return err
}

// setWriteDeadline pushes the connection's write deadline forward by the
// write idle timeout. A ResponseWriter that cannot (a test recorder)
// goes without.
func (h *handler) setWriteDeadline(rc *http.ResponseController) {
	_ = rc.SetWriteDeadline(time.Now().Add(h.writeIdle))
}
