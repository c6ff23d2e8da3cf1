package sigv4

import (
	"net/url"
	"path"
	"sort"
	"strings"
)

const upperHex = "0123456789ABCDEF"

// unreserved reports whether b is left as it is by URIEncode.
func unreserved(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' ||
		b == '-' || b == '.' || b == '_' || b == '~'
}

// URIEncode percent-encodes every byte of s but the unreserved ones, in
// upper-case hex; "/" is kept when keepSlash is set (for paths).
func URIEncode(s string, keepSlash bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xf])
	}
	return b.String()
}

// CanonicalURI is the encoded path of a request whose decoded path is p;
// normalize removes "." and ".." segments and repeated slashes first
// (never for S3).
func CanonicalURI(p string, normalize bool) string {
	if p == "" {
		return "/"
	}
	if normalize {
		cleaned := path.Clean("/" + p)
		if strings.HasSuffix(p, "/") && cleaned != "/" {
			cleaned += "/"
		}
		p = cleaned
	}
	return URIEncode(p, true)
}

// CanonicalQuery is the encoded form of q, sorted by encoded name then
// encoded value. A client that sends it as the request's raw query sends
// exactly what it signed.
func CanonicalQuery(q url.Values) string {
	type pair struct{ name, value string }
	pairs := make([]pair, 0, len(q))
	for name, values := range q {
		encodedName := URIEncode(name, false)
		if len(values) == 0 {
			pairs = append(pairs, pair{encodedName, ""})
		}
		for _, v := range values {
			pairs = append(pairs, pair{encodedName, URIEncode(v, false)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].name != pairs[j].name {
			return pairs[i].name < pairs[j].name
		}
		return pairs[i].value < pairs[j].value
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.name + "=" + p.value)
	}
	return b.String()
}
