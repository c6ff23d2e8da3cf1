package shuffle

import (
	"context"
	"crypto/hmac"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"6.5840/mr/ifile"
)

// tcpKeepAlive is the keep-alive period of the Fetcher's connections.
const tcpKeepAlive = 15 * time.Second

// sectionName names a reply's section in ifile's messages, which the
// Fetcher wraps with the source.
const sectionName = "reply"

// Fetcher fetches sections of map output files from the workers that
// hold them. It is safe for concurrent use.
type Fetcher struct {
	// cfg holds the configuration with its defaults set.
	cfg       FetcherConfig
	transport *http.Transport
	client    *http.Client
	stats     counters
}

// NewFetcher returns a Fetcher with its own HTTP client, or an error for
// the first bad field of cfg.
func NewFetcher(cfg FetcherConfig) (*Fetcher, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	dialer := idleDialer{
		dialer:  &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: tcpKeepAlive},
		timeout: cfg.IdleTimeout,
	}
	transport := &http.Transport{
		// Never through a proxy from the environment: requests go
		// straight to the worker that holds the data.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ResponseHeaderTimeout: cfg.ResponseHeaderTimeout,
		IdleConnTimeout:       cfg.IdleTimeout,
		MaxIdleConnsPerHost:   cfg.Parallel,
		// Sections are compressed or not by the map side; a gzip layer
		// would hide Content-Length.
		DisableCompression: true,
		TLSClientConfig:    cfg.TLS,
		// A custom Transport has no TLS handshake limit unless given one.
		TLSHandshakeTimeout: cfg.ConnectTimeout,
	}
	client := &http.Client{
		Transport: transport,
		// A redirect is not part of the protocol: it is answered as a
		// refusal, and the signed headers go nowhere else.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Fetcher{cfg: cfg, transport: transport, client: client}, nil
}

// scheme returns the scheme of the Fetcher's URLs.
func (f *Fetcher) scheme() string {
	if f.cfg.TLS != nil {
		return "https"
	}
	return "http"
}

// Close closes the Fetcher's idle connections. Fetches in flight go on.
func (f *Fetcher) Close() {
	f.transport.CloseIdleConnections()
}

// Stats returns what the Fetcher has done so far.
func (f *Fetcher) Stats() Stats {
	return f.stats.snapshot()
}

// Fetch makes one request for section reduce of the map output of
// mapTask's attempt held by server (host:port) and writes the section to
// dst, returning the number of bytes written. It checks the status, the
// reply's signature, each block's checksum (before the block is written
// to dst) and, at the end, the body's MAC. After an error dst may hold a
// prefix of the section, which the caller must discard; even the whole
// section is to be discarded unless the error is nil.
//
// The error names the server and the section and wraps ErrUnavailable,
// ErrDamaged, ErrNotFound, ErrRequestRefused or ErrUnauthenticated; or ctx's
// error; or, for a malformed server address or a failing dst, none of
// these (dst's error is wrapped).
func (f *Fetcher) Fetch(ctx context.Context, server string, mapTask, attempt, reduce int, dst io.Writer) (int64, error) {
	req := request{job: f.cfg.Job, mapTask: mapTask, attempt: attempt, reduce: reduce}
	n, err := f.fetchCounted(ctx, server, req, dst)
	if err != nil {
		return n, fmt.Errorf("fetch %s from %s: %w", req, server, err)
	}
	return n, nil
}

// fetchCounted is fetch, counted in f's stats.
func (f *Fetcher) fetchCounted(ctx context.Context, server string, req request, dst io.Writer) (int64, error) {
	n, err := f.fetch(ctx, server, req, dst)
	switch {
	case err == nil:
		f.stats.fetched.Add(1)
		f.stats.bytes.Add(n)
	case errors.Is(err, ErrDamaged):
		f.stats.damaged.Add(1)
	}
	return n, err
}

// fetch is Fetch without the counting and without the request and the
// server in messages.
func (f *Fetcher) fetch(ctx context.Context, server string, req request, dst io.Writer) (int64, error) {
	if err := checkServer(server); err != nil {
		return 0, err
	}
	unix := f.cfg.Now().Unix()
	sig := signRequest(f.cfg.Key, req, unix)
	u := url.URL{Scheme: f.scheme(), Host: server, Path: Path, RawQuery: req.query()}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, err
	}
	hreq.Header.Set(HeaderTime, strconv.FormatInt(unix, 10))
	hreq.Header.Set(HeaderSignature, sig)
	f.stats.requests.Add(1)
	resp, err := f.client.Do(hreq)
	if err != nil {
		return 0, networkError(ctx, err)
	}
	defer resp.Body.Close()
	if err := statusError(resp.StatusCode); err != nil {
		if errors.Is(err, ErrNotFound) && !equalMAC(resp.Header.Get(HeaderReplySignature), signNotFound(f.cfg.Key, sig)) {
			// Anyone on the path can forge an unsigned 404: it says
			// no more than a dropped reply, so it is tried again and
			// never taken for a lost output.
			return 0, fmt.Errorf("%w: unsigned 404 reply", ErrUnavailable)
		}
		return 0, explainRefusal(err, resp, f.cfg.Now())
	}
	if !equalMAC(resp.Header.Get(HeaderReplySignature), signReply(f.cfg.Key, sig)) {
		return 0, fmt.Errorf("%w: reply signature missing or wrong", ErrUnauthenticated)
	}
	if resp.ContentLength < MACSize {
		return 0, fmt.Errorf("%w: content length %d, want at least %d", ErrDamaged, resp.ContentLength, MACSize)
	}
	return readBody(ctx, resp.Body, resp.ContentLength-MACSize, newBodyMAC(f.cfg.Key, sig), dst)
}

// readBody copies the section of the given length at the start of body to
// dst through a verifying reader, feeding mac every byte as received,
// then checks the MAC that follows.
func readBody(ctx context.Context, body io.Reader, length int64, mac hash.Hash, dst io.Writer) (int64, error) {
	out := &errWriter{w: dst}
	section := io.TeeReader(io.LimitReader(body, length), mac)
	n, err := io.Copy(out, ifile.NewVerifyingReader(section, sectionName))
	switch {
	case out.err != nil:
		return n, fmt.Errorf("write section: %w", out.err)
	case err != nil:
		return n, bodyError(ctx, err)
	}
	var got [MACSize]byte
	if _, err := io.ReadFull(body, got[:]); err != nil {
		return n, bodyError(ctx, fmt.Errorf("read body MAC: %w", err))
	}
	if !hmac.Equal(got[:], mac.Sum(nil)) {
		return n, fmt.Errorf("%w: body MAC mismatch", ErrDamaged)
	}
	// Read to EOF, so that the connection can carry the next request.
	// Content-Length leaves nothing more to read, and every byte is
	// checked, so an error here changes nothing.
	_, _ = io.Copy(io.Discard, body)
	return n, nil
}

// errWriter remembers the error of the writer it wraps, so that a
// failing destination is told from a failing network.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}

// checkServer rejects a server address that is not a plain host:port.
func checkServer(server string) error {
	if _, _, err := net.SplitHostPort(server); err != nil || strings.ContainsAny(server, "/?#@ ") {
		return fmt.Errorf("bad server address %q", server)
	}
	return nil
}

// statusError classifies a reply's status; nil for 200.
func statusError(code int) error {
	var kind error
	switch {
	case code == http.StatusOK:
		return nil
	case code == http.StatusNotFound:
		kind = ErrNotFound
	// Overload and a server-side timeout pass, like 5xx.
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= http.StatusInternalServerError:
		kind = ErrUnavailable
	default:
		kind = ErrRequestRefused
	}
	return fmt.Errorf("%w: status %d %s", kind, code, http.StatusText(code))
}

// explainRefusal adds to err, if it is ErrRequestRefused and the reply's Date
// header is more than MaxSkew from now, that the clocks are too far apart:
// the other cause of a 403, besides different keys.
func explainRefusal(err error, resp *http.Response, now time.Time) error {
	date, dateErr := http.ParseTime(resp.Header.Get("Date"))
	if !errors.Is(err, ErrRequestRefused) || dateErr != nil {
		return err
	}
	if skew := date.Sub(now); skew > MaxSkew || skew < -MaxSkew {
		return fmt.Errorf("%w (the server's clock is %v from ours)", err, skew.Round(time.Second))
	}
	return err
}

// networkError classifies an error sending a request or awaiting its
// reply: ctx's error if ctx is done, else ErrUnavailable (a dial error,
// a timeout, a reset).
func networkError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// bodyError classifies an error reading a reply's body: ErrDamaged if the
// body was short or failed a check, else as networkError.
func bodyError(ctx context.Context, err error) error {
	if ctx.Err() == nil && (errors.Is(err, ifile.ErrFormat) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
		return fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	return networkError(ctx, err)
}
