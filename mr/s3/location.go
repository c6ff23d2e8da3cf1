package s3

import (
	"fmt"
	"strings"
)

// Scheme is the prefix of an S3 location.
const Scheme = "s3://"

// Location is a bucket and a key or key prefix, parsed from
// s3://BUCKET/KEY (one object) or s3://BUCKET/PREFIX/ (every object
// under PREFIX/; s3://BUCKET/ is the whole bucket).
type Location struct {
	Bucket string
	Key    string
}

// IsLocation reports whether s is meant as an S3 location.
func IsLocation(s string) bool { return strings.HasPrefix(s, Scheme) }

// ParseLocation parses s3://BUCKET/KEY or s3://BUCKET/PREFIX/.
func ParseLocation(s string) (Location, error) {
	rest, ok := strings.CutPrefix(s, Scheme)
	if !ok {
		return Location{}, fmt.Errorf("s3 location %q: want s3://BUCKET/KEY or s3://BUCKET/PREFIX/", s)
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if !validBucket(bucket) {
		return Location{}, fmt.Errorf("s3 location %q: bad bucket name %q (3 to 63 of a-z 0-9 . -)", s, bucket)
	}
	if key == "" && !strings.HasSuffix(rest, "/") {
		return Location{}, fmt.Errorf("s3 location %q: no key; write s3://%s/ for the whole bucket", s, bucket)
	}
	return Location{Bucket: bucket, Key: key}, nil
}

// IsPrefix reports whether l names every object under a prefix.
func (l Location) IsPrefix() bool { return l.Key == "" || strings.HasSuffix(l.Key, "/") }

// String is l as s3://BUCKET/KEY.
func (l Location) String() string { return Scheme + l.Bucket + "/" + l.Key }

// Bucket name limits.
const (
	minBucketLen = 3
	maxBucketLen = 63
)

// validBucket checks S3's bucket naming rules, less the few about
// reserved prefixes.
func validBucket(b string) bool {
	if len(b) < minBucketLen || len(b) > maxBucketLen {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	first, last := b[0], b[len(b)-1]
	return first != '.' && first != '-' && last != '.' && last != '-'
}
