package shuffle

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"6.5840/mr/netguard"
)

// FuzzHandlerRequest sends the handler requests with fuzzed query, path,
// method and signature headers: it never panics, answers one of the
// documented statuses, and serves a section (200) only to a request
// signed for the canonical form of its query at an acceptable time.
func FuzzHandlerRequest(f *testing.F) {
	now := testNow.Unix()
	good := signRequest(testKey, goodRequest, now)
	ts := strconv.FormatInt(now, 10)
	f.Add(http.MethodGet, Path, goodRequest.query(), ts, good, "")
	f.Add(http.MethodGet, Path, "reduce=2&attempt=1&map=3&job=job-7", ts, good, "")
	f.Add(http.MethodGet, Path, goodRequest.query(), ts, good, good)
	f.Add(http.MethodGet, Path, goodRequest.query()+"&map=3", ts, good, "")
	f.Add(http.MethodGet, Path, "job=job-7&map=03&attempt=1&reduce=2", ts, good, "")
	f.Add(http.MethodPost, Path, goodRequest.query(), ts, good, "")
	f.Add(http.MethodGet, "/v1/map-output/../x", goodRequest.query(), ts, good, "")
	f.Add(http.MethodGet, Path, goodRequest.query(), "+"+ts, good, "")
	f.Add(http.MethodGet, Path, goodRequest.query(), "", "", "")
	f.Add(http.MethodGet, Path, "job=%zz", ts, "\xff", "")
	// The worker's files live in f's folder, for every input.
	w := newWorker(f, testKey, committed)
	w.handler.now = func() time.Time { return testNow }
	// Its logs would go to f, which a fuzz target may not use.
	w.handler.log = slog.New(slog.DiscardHandler)
	w.handler.refusals = netguard.NewRateLog(w.handler.log, 0)
	f.Fuzz(func(t *testing.T, method, path, query, timeHeader, sig, sig2 string) {
		r, err := http.NewRequest(http.MethodGet, "http://worker"+Path, nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Method, r.URL.Path, r.URL.RawQuery = method, path, query
		r.Header.Set(HeaderTime, timeHeader)
		r.Header.Set(HeaderSignature, sig)
		if sig2 != "" {
			r.Header.Add(HeaderSignature, sig2)
		}
		rec := httptest.NewRecorder()
		w.handler.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
			http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusInternalServerError:
			return
		default:
			t.Fatalf("status %d", rec.Code)
		}
		req, err := parseQuery(query)
		if err != nil {
			t.Fatalf("served a request with a bad query %q: %v", query, err)
		}
		unix, ok := parseDecimal(timeHeader, timeBits)
		if !ok || sig2 != "" || method != http.MethodGet || path != Path || sig != signRequest(testKey, req, unix) || req.job != testJob {
			t.Fatalf("served %s %s?%s time %q sig %q %q", method, path, query, timeHeader, sig, sig2)
		}
	})
}

// FuzzFetchReply feeds the fetcher fuzzed replies: status, reply
// signature, and a body that is the genuine one with a byte changed, or
// fuzzed bytes. Fetch returns nil only for a 200 signed for the request
// whose body is the genuine section, written whole to the destination;
// it reports a lost output (ErrNotFound) only for a 404 signed for the
// request; every error wraps one sentinel.
func FuzzFetchReply(f *testing.F) {
	const (
		sigGood = iota
		sigNotFound
		sigFuzzed
	)
	f.Add(200, sigGood, "", -1, []byte(nil))
	f.Add(404, sigNotFound, "", -1, []byte(nil))
	f.Add(404, sigFuzzed, "", -1, []byte(nil))
	f.Add(404, sigGood, "", -1, []byte(nil))
	f.Add(200, sigNotFound, "", -1, []byte(nil))
	f.Add(200, sigGood, "", 10, []byte(nil))
	f.Add(200, sigGood, "", -1, []byte("MRKV\x02 short"))
	f.Add(500, sigFuzzed, "00", -1, []byte("x"))
	f.Add(302, sigFuzzed, "", -1, []byte(nil))
	section := newWorker(f, testKey, committed).sections[committed][goodRequest.reduce]
	f.Fuzz(func(t *testing.T, code, sigMode int, fuzzedSig string, flip int, fuzzedBody []byte) {
		if code < 100 || code > 999 || code == http.StatusSwitchingProtocols {
			return
		}
		fe := newTestFetcher(t, nil)
		fe.client.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
			sig := r.Header.Get(HeaderSignature)
			h := http.Header{}
			switch sigMode {
			case sigGood:
				h.Set(HeaderReplySignature, signReply(testKey, sig))
			case sigNotFound:
				h.Set(HeaderReplySignature, signNotFound(testKey, sig))
			default:
				h.Set(HeaderReplySignature, fuzzedSig)
			}
			body := fuzzedBody
			if body == nil {
				mac := newBodyMAC(testKey, sig)
				mac.Write(section)
				body = append(bytes.Clone(section), mac.Sum(nil)...)
				if flip >= 0 && flip < len(body) {
					body[flip] ^= 1
				}
			}
			return &http.Response{
				StatusCode: code, Header: h, Body: io.NopCloser(bytes.NewReader(body)),
				ContentLength: int64(len(body)), Request: r,
			}, nil
		})
		var dst bytes.Buffer
		_, err := fe.Fetch(t.Context(), "worker:1", goodRequest.mapTask, goodRequest.attempt, goodRequest.reduce, &dst)
		if err == nil {
			if code != http.StatusOK || sigMode != sigGood || !bytes.Equal(dst.Bytes(), section) {
				t.Fatalf("accepted a reply: status %d, signature mode %d, flip %d, body %d bytes", code, sigMode, flip, len(fuzzedBody))
			}
			return
		}
		if errors.Is(err, ErrNotFound) && (code != http.StatusNotFound || sigMode != sigNotFound) {
			t.Fatalf("took a 404 for a loss: status %d, signature mode %d", code, sigMode)
		}
		n := 0
		for _, s := range []error{ErrUnavailable, ErrDamaged, ErrNotFound, ErrRequestRefused, ErrUnauthenticated} {
			if errors.Is(err, s) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("error wraps %d sentinels: %v", n, err)
		}
	})
}

// roundTripper is an http.RoundTripper made of a function.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
