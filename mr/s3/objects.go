package s3

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Header names and values the calls use.
const (
	headerETag          = "ETag"
	headerIfMatch       = "If-Match"
	headerIfNoneMatch   = "If-None-Match"
	headerRange         = "Range"
	headerContentType   = "Content-Type"
	headerLastModified  = "Last-Modified"
	headerContentLength = "Content-Length"
	headerContentRange  = "Content-Range"
	anyETag             = "*"
	listTypeV2          = "2"
)

// ObjectInfo describes one object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // as S3 sends it, quotes included
	LastModified time.Time
}

// ListObjects lists every object whose key starts with prefix, in key
// order, a page (ListPageSize) at a time (ListObjectsV2 with
// continuation tokens).
func (c *Client) ListObjects(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	var out []ObjectInfo
	token := ""
	for {
		q := url.Values{"list-type": {listTypeV2}, "prefix": {prefix}, "max-keys": {strconv.Itoa(c.cfg.ListPageSize)}}
		if token != "" {
			q.Set("continuation-token", token)
		}
		var page listBucketResult
		if err := c.callXML(ctx, &request{op: "ListObjectsV2", method: http.MethodGet, bucket: bucket, about: prefix, query: q}, &page); err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo(o))
		}
		if !page.IsTruncated {
			return out, nil
		}
		if page.NextContinuationToken == "" {
			return nil, fmt.Errorf("s3 ListObjectsV2 s3://%s/%s: truncated page without a continuation token", bucket, prefix)
		}
		token = page.NextContinuationToken
	}
}

// HeadObject returns the size, ETag and last-modified time of an object.
func (c *Client) HeadObject(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	header, _, err := c.call(ctx, &request{op: "HeadObject", method: http.MethodHead, bucket: bucket, key: key})
	if err != nil {
		return ObjectInfo{}, err
	}
	return objectInfoFromHeader(bucket, key, header)
}

func objectInfoFromHeader(bucket, key string, h http.Header) (ObjectInfo, error) {
	size, err := strconv.ParseInt(h.Get(headerContentLength), 10, 64)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("s3 HeadObject s3://%s/%s: bad Content-Length %q", bucket, key, h.Get(headerContentLength))
	}
	modified, _ := http.ParseTime(h.Get(headerLastModified))
	return ObjectInfo{Key: key, Size: size, ETag: h.Get(headerETag), LastModified: modified}, nil
}

// PutOptions are the options of PutObject.
type PutOptions struct {
	// IfNoneMatch makes the put a conditional create: it fails with
	// ErrPreconditionFailed if the key exists.
	IfNoneMatch bool
	ContentType string
}

// PutObject stores data (a small object: it is held in memory and sent
// in one request) under key and returns its ETag.
func (c *Client) PutObject(ctx context.Context, bucket, key string, data []byte, opts PutOptions) (string, error) {
	h := http.Header{}
	if opts.IfNoneMatch {
		h.Set(headerIfNoneMatch, anyETag)
	}
	if opts.ContentType != "" {
		h.Set(headerContentType, opts.ContentType)
	}
	header, _, err := c.call(ctx, &request{op: "PutObject", method: http.MethodPut, bucket: bucket, key: key, header: h, body: data})
	if err != nil {
		return "", err
	}
	return header.Get(headerETag), nil
}

// DeleteObject removes an object; removing a missing key succeeds, as
// in S3.
func (c *Client) DeleteObject(ctx context.Context, bucket, key string) error {
	_, _, err := c.call(ctx, &request{op: "DeleteObject", method: http.MethodDelete, bucket: bucket, key: key, okStatus: http.StatusNoContent})
	return err
}

// CreateBucket creates a bucket (for tests and tools; a job never does).
func (c *Client) CreateBucket(ctx context.Context, bucket string) error {
	_, _, err := c.call(ctx, &request{op: "CreateBucket", method: http.MethodPut, bucket: bucket})
	return err
}

// callXML makes r and decodes its reply into v.
func (c *Client) callXML(ctx context.Context, r *request, v any) error {
	_, body, err := c.call(ctx, r)
	if err != nil {
		return err
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return fmt.Errorf("s3 %s s3://%s/%s: decode reply: %w", r.op, r.bucket, r.key, err)
	}
	return nil
}
