package shuffle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Names on the wire; the package comment describes the protocol.
const (
	// Path is the one path the handler serves.
	Path = "/v1/map-output"
	// HeaderTime carries the request's time in decimal Unix seconds.
	HeaderTime = "X-MR-Time"
	// HeaderSignature carries the request's signature in lowercase hex.
	HeaderSignature = "X-MR-Signature"
	// HeaderReplySignature carries the reply's signature in lowercase hex.
	HeaderReplySignature = "X-MR-Reply-Signature"
	// MACSize is the size of the HMAC-SHA256 that ends a reply's body.
	MACSize = sha256.Size
	// MaxSkew is how far a request's time may be from the server's clock,
	// either way; a signed request can be replayed for this long.
	MaxSkew = 5 * time.Minute
	// MinKeySize is the shortest key a Fetcher or handler accepts.
	MinKeySize = 16
	// contentType is the type of a reply's body.
	contentType = "application/octet-stream"
)

// Query parameter names, in the order of the canonical query.
const (
	paramJob     = "job"
	paramMap     = "map"
	paramAttempt = "attempt"
	paramReduce  = "reduce"
)

// Bounds of canonical decimals.
const (
	// indexBits bounds a map, attempt or reduce number, below 1<<31, so
	// that it fits an int whatever the platform.
	indexBits = 31
	// timeBits bounds a time in Unix seconds, below 1<<63.
	timeBits = 63
)

// errBadQuery is wrapped by every error parseQuery returns.
var errBadQuery = errors.New("bad query")

// request names the one section a request asks for.
type request struct {
	job                      string
	mapTask, attempt, reduce int
}

// query returns the canonical query of r: the four parameters in the
// order job, map, attempt, reduce, the job escaped by url.QueryEscape and
// the numbers in canonical decimal.
func (r request) query() string {
	return paramJob + "=" + url.QueryEscape(r.job) +
		"&" + paramMap + "=" + strconv.Itoa(r.mapTask) +
		"&" + paramAttempt + "=" + strconv.Itoa(r.attempt) +
		"&" + paramReduce + "=" + strconv.Itoa(r.reduce)
}

// signed returns the string the signature of the request sent at
// unixTime covers.
func (r request) signed(unixTime int64) string {
	return "GET\n" + Path + "\n" + r.query() + "\n" + strconv.FormatInt(unixTime, 10)
}

// String describes the request for messages; it holds no secret.
func (r request) String() string {
	return fmt.Sprintf("map %d attempt %d reduce %d", r.mapTask, r.attempt, r.reduce)
}

// parseQuery parses a raw query that holds each of the four parameters
// exactly once and nothing else, its numbers in canonical decimal. The
// order of the parameters does not matter: the signature covers the
// canonical query rebuilt from the values.
func parseQuery(raw string) (request, error) {
	values, err := url.ParseQuery(raw)
	if err != nil {
		return request{}, fmt.Errorf("%w: %w", errBadQuery, err)
	}
	var r request
	for name, vs := range values {
		if len(vs) != 1 {
			return request{}, fmt.Errorf("%w: %d values of %q", errBadQuery, len(vs), name)
		}
		var n *int
		switch name {
		case paramJob:
			r.job = vs[0]
			continue
		case paramMap:
			n = &r.mapTask
		case paramAttempt:
			n = &r.attempt
		case paramReduce:
			n = &r.reduce
		default:
			return request{}, fmt.Errorf("%w: unknown parameter %q", errBadQuery, name)
		}
		v, ok := parseDecimal(vs[0], indexBits)
		if !ok {
			return request{}, fmt.Errorf("%w: %s=%q is not a canonical decimal", errBadQuery, name, vs[0])
		}
		*n = int(v)
	}
	for _, name := range []string{paramJob, paramMap, paramAttempt, paramReduce} {
		if _, ok := values[name]; !ok {
			return request{}, fmt.Errorf("%w: no %q", errBadQuery, name)
		}
	}
	return r, nil
}

// parseDecimal parses s as a canonical decimal below 1<<bits: ASCII
// digits only, no sign, no leading zero unless s is "0".
func parseDecimal(s string, bits int) (int64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(s, 10, bits+1)
	if err != nil || v < 0 {
		return 0, false
	}
	return v, true
}
