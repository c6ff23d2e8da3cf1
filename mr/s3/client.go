package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"6.5840/mr/s3/sigv4"
)

// Client makes S3 requests. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	signer sigv4.Signer
}

// New checks cfg and returns a Client for it.
func New(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = "https://" + serviceName + "." + cfg.Region + "." + awsDomain
	}
	base, err := url.Parse(strings.TrimSuffix(endpoint, "/"))
	if err != nil {
		return nil, fmt.Errorf("s3: endpoint %q: %w", endpoint, err)
	}
	return &Client{cfg: cfg, base: base, signer: sigv4.Signer{Credentials: cfg.Credentials,
		Region: cfg.Region, Service: serviceName, ContentSHA256Header: true}}, nil
}

// PartSize is the size of the parts a Writer uploads.
func (c *Client) PartSize() int { return c.cfg.PartSize }

// request is one S3 call, rebuilt and re-signed for every try.
type request struct {
	op, method  string
	bucket, key string
	query       url.Values
	header      http.Header
	body        []byte
	// okStatus is the status of success besides 200 (206 for ranges).
	okStatus int
	// about is what errors name in place of key: the prefix of a list.
	about string
	// stream leaves the reply's body open for the caller (GetObject);
	// otherwise it is read whole within the try.
	stream bool
}

// subject is the key or prefix r's errors name.
func (r *request) subject() string {
	if r.about != "" {
		return r.about
	}
	return r.key
}

// url is the address of r's bucket and key.
func (c *Client) url(r *request) *url.URL {
	u := *c.base
	p := "/" + r.key
	if c.cfg.PathStyle || !dnsCompatible(r.bucket) {
		p = "/" + r.bucket + p
	} else {
		u.Host = r.bucket + "." + u.Host
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + p
	u.RawPath = sigv4.CanonicalURI(u.Path, false)
	u.RawQuery = sigv4.CanonicalQuery(r.query)
	return &u
}

// dnsCompatible reports whether bucket can be a host name label.
func dnsCompatible(bucket string) bool {
	return bucket != "" && !strings.Contains(bucket, ".") && strings.ToLower(bucket) == bucket
}

// try makes one attempt of r under the try's deadline and returns the
// response on success (body open) or the error. cancel must be called
// once the body is done with.
func (c *Client) try(ctx context.Context, r *request) (*http.Response, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	req, err := http.NewRequestWithContext(ctx, r.method, c.url(r).String(), bytes.NewReader(r.body))
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("s3 %s s3://%s/%s: %w", r.op, r.bucket, r.subject(), err)
	}
	for name, values := range r.header {
		req.Header[name] = values
	}
	if err := c.signer.Sign(req, sigv4.PayloadHash(r.body), c.cfg.Now()); err != nil {
		cancel()
		return nil, nil, err
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("s3 %s s3://%s/%s: %w", r.op, r.bucket, r.subject(), err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != r.okStatus {
		e := readError(r.op, r.bucket, r.subject(), resp)
		cancel()
		return nil, nil, e
	}
	if r.stream {
		return resp, cancel, nil
	}
	// A reply cut short is a failed try, retried like a dropped connection.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	cancel()
	if err != nil {
		return nil, nil, fmt.Errorf("s3 %s s3://%s/%s: read reply: %w", r.op, r.bucket, r.subject(), err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, func() {}, nil
}

// do makes r, retrying by the policy, and returns the successful
// response; the caller closes its body and calls cancel.
func (c *Client) do(ctx context.Context, r *request) (*http.Response, context.CancelFunc, error) {
	for attempt := 1; ; attempt++ {
		resp, cancel, err := c.try(ctx, r)
		if err == nil {
			return resp, cancel, nil
		}
		if attempt >= c.cfg.Retry.MaxAttempts || !retryable(ctx, err) {
			return nil, nil, err
		}
		if serr := c.cfg.Sleep(ctx, c.cfg.Jitter(c.cfg.Retry.ceiling(attempt))); serr != nil {
			return nil, nil, fmt.Errorf("%w (retry cut short: %w)", err, serr)
		}
	}
}

// call makes r and returns the reply's header and (small) body.
func (c *Client) call(ctx context.Context, r *request) (http.Header, []byte, error) {
	resp, cancel, err := c.do(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	defer cancel()
	body, err := io.ReadAll(resp.Body) // in memory already: cannot fail
	return resp.Header, body, err
}
