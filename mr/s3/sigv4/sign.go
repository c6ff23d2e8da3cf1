package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Header names and fixed strings of the scheme.
const (
	Algorithm            = "AWS4-HMAC-SHA256"
	HeaderDate           = "X-Amz-Date"
	HeaderContentSHA256  = "X-Amz-Content-Sha256"
	HeaderSecurityToken  = "X-Amz-Security-Token"
	HeaderAuthorization  = "Authorization"
	UnsignedPayload      = "UNSIGNED-PAYLOAD"
	EmptyPayloadHash     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	TimeFormat           = "20060102T150405Z"
	dateFormat           = "20060102"
	scopeTerminator      = "aws4_request"
	secretPrefix         = "AWS4"
	headerUserAgent      = "user-agent"
	headerAuthorization  = "authorization"
	headerHost           = "host"
	signedHeadersJoiner  = ";"
	repeatedHeaderJoiner = ","
)

// ErrNoCredentials is returned when a signer has no key pair.
var ErrNoCredentials = errors.New("sigv4: no access key id or secret access key")

// Signer signs requests for one region and service.
type Signer struct {
	Credentials Credentials
	Region      string
	Service     string
	// NormalizePath removes dot segments and repeated slashes from the
	// path before signing. False for S3, which signs keys as they are.
	NormalizePath bool
	// ContentSHA256Header sets X-Amz-Content-Sha256 to the payload hash
	// before signing, as S3 requires.
	ContentSHA256Header bool
}

// Parts is what a signature is computed from; Sign builds it from a
// request, tests build it by hand.
type Parts struct {
	Method      string
	Host        string
	Path        string // decoded, as in url.URL.Path
	Query       url.Values
	Header      http.Header
	PayloadHash string
}

// Sign adds X-Amz-Date (from now), the session token and, when asked,
// X-Amz-Content-Sha256 to req, then its Authorization header.
// payloadHash is the hex SHA-256 of the body, or UnsignedPayload.
func (s Signer) Sign(req *http.Request, payloadHash string, now time.Time) error {
	if !s.Credentials.Valid() {
		return ErrNoCredentials
	}
	req.Header.Set(HeaderDate, now.UTC().Format(TimeFormat))
	if s.Credentials.SessionToken != "" {
		req.Header.Set(HeaderSecurityToken, s.Credentials.SessionToken)
	}
	if s.ContentSHA256Header {
		req.Header.Set(HeaderContentSHA256, payloadHash)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	parts := Parts{Method: req.Method, Host: host, Path: req.URL.Path,
		Query: req.URL.Query(), Header: req.Header, PayloadHash: payloadHash}
	req.Header.Set(HeaderAuthorization, s.Authorization(parts, now))
	return nil
}

// Authorization is the Authorization header's value for p signed at now.
func (s Signer) Authorization(p Parts, now time.Time) string {
	creq, signed := s.CanonicalRequest(p)
	sts := StringToSign(now, s.Scope(now), creq)
	return fmt.Sprintf("%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		Algorithm, s.Credentials.AccessKeyID, s.Scope(now), signed, s.Signature(now, sts))
}

// Scope is the credential scope for the day of now.
func (s Signer) Scope(now time.Time) string {
	return strings.Join([]string{now.UTC().Format(dateFormat), s.Region, s.Service, scopeTerminator}, "/")
}

// CanonicalRequest is p's canonical request and its signed headers list.
func (s Signer) CanonicalRequest(p Parts) (creq, signedHeaders string) {
	headers, signedHeaders := canonicalHeaders(p.Host, p.Header)
	creq = strings.Join([]string{
		p.Method,
		CanonicalURI(p.Path, s.NormalizePath),
		CanonicalQuery(p.Query),
		headers,
		signedHeaders,
		p.PayloadHash,
	}, "\n")
	return creq, signedHeaders
}

// StringToSign is the string signed for a canonical request at now.
func StringToSign(now time.Time, scope, creq string) string {
	sum := sha256.Sum256([]byte(creq))
	return strings.Join([]string{Algorithm, now.UTC().Format(TimeFormat), scope, hex.EncodeToString(sum[:])}, "\n")
}

// Signature is the hex signature of stringToSign under the key of the
// day of now.
func (s Signer) Signature(now time.Time, stringToSign string) string {
	key := SigningKey(s.Credentials.SecretAccessKey, now.UTC().Format(dateFormat), s.Region, s.Service)
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}

// SigningKey derives the key for one day, region and service.
func SigningKey(secret, date, region, service string) []byte {
	key := hmacSHA256([]byte(secretPrefix+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	return hmacSHA256(key, scopeTerminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// canonicalHeaders is the canonical headers block (each line ending in
// "\n") and the signed headers list of host plus header.
func canonicalHeaders(host string, header http.Header) (block, signed string) {
	values := map[string][]string{headerHost: {host}}
	for name, vs := range header {
		lower := strings.ToLower(name)
		if lower == headerAuthorization || lower == headerUserAgent || lower == headerHost {
			continue
		}
		values[lower] = append(values[lower], vs...)
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		trimmed := make([]string, len(values[name]))
		for i, v := range values[name] {
			trimmed[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(name + ":" + strings.Join(trimmed, repeatedHeaderJoiner) + "\n")
	}
	return b.String(), strings.Join(names, signedHeadersJoiner)
}

// PayloadHash is the hex SHA-256 of body.
func PayloadHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
