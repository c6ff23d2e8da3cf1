package s3

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"6.5840/mr/s3/sigv4"
)

// Defaults of a Config.
const (
	DefaultRegion         = "us-east-1"
	DefaultRequestTimeout = 2 * time.Minute
	DefaultPartSize       = 8 << 20
	// MinPartSize is S3's smallest part but the last.
	MinPartSize = 5 << 20
	// MaxPartSize is S3's largest part.
	MaxPartSize = 5 << 30
	// DefaultListPageSize is S3's own page size.
	DefaultListPageSize = 1000
	serviceName         = "s3"
	awsDomain           = "amazonaws.com"
)

// Config is what a Client needs. Zero fields take the defaults above.
type Config struct {
	// Endpoint is the server's base URL ("http://127.0.0.1:7070"); empty
	// means AWS itself, https://s3.REGION.amazonaws.com.
	Endpoint    string
	Region      string
	Credentials sigv4.Credentials
	// PathStyle addresses buckets as ENDPOINT/BUCKET/KEY. Always on for
	// a custom Endpoint; off for AWS, which gets BUCKET.s3.REGION.amazonaws.com
	// for bucket names valid as a DNS label.
	PathStyle bool
	// RequestTimeout is the deadline of each try of a request.
	RequestTimeout time.Duration
	Retry          RetryPolicy
	// PartSize is the multipart Writer's part size.
	PartSize int
	// ListPageSize is max-keys / max-uploads / max-parts of list calls.
	ListPageSize int
	HTTPClient   *http.Client
	// Now and Sleep are the clock; Jitter draws a wait in [0, max).
	// Tests replace them.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func(max time.Duration) time.Duration
}

func (c Config) withDefaults() Config {
	if c.Region == "" {
		c.Region = DefaultRegion
	}
	if c.Endpoint != "" {
		c.PathStyle = true
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	c.Retry = c.Retry.withDefaults()
	if c.PartSize == 0 {
		c.PartSize = DefaultPartSize
	}
	if c.ListPageSize <= 0 {
		c.ListPageSize = DefaultListPageSize
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepContext
	}
	if c.Jitter == nil {
		c.Jitter = func(max time.Duration) time.Duration { return rand.N(max) }
	}
	return c
}

func (c Config) validate() error {
	if !c.Credentials.Valid() {
		return errors.New("s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE with a credentials file")
	}
	if c.PartSize < MinPartSize || c.PartSize > MaxPartSize {
		return fmt.Errorf("s3: part size %d outside [%d, %d]", c.PartSize, MinPartSize, MaxPartSize)
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3: endpoint %q: want http://HOST[:PORT] or https://HOST[:PORT]", c.Endpoint)
		}
	}
	return nil
}
