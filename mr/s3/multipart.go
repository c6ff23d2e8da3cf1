package s3

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Part is one uploaded part of a multipart upload.
type Part struct {
	Number int
	ETag   string
	Size   int64
}

// Upload is a multipart upload: created, maybe with parts, neither
// completed nor aborted. It is what a writer hands to whoever decides
// whether its output is committed.
type Upload struct {
	Bucket, Key, UploadID string
	Parts                 []Part
}

// UploadInfo is a pending upload as ListUploads reports it.
type UploadInfo struct {
	Key, UploadID string
	Initiated     time.Time
}

// CreateUpload starts a multipart upload of key.
func (c *Client) CreateUpload(ctx context.Context, bucket, key string) (Upload, error) {
	var res initiateMultipartUploadResult
	r := &request{op: "CreateMultipartUpload", method: http.MethodPost, bucket: bucket, key: key, query: url.Values{"uploads": {""}}}
	if err := c.callXML(ctx, r, &res); err != nil {
		return Upload{}, err
	}
	if res.UploadID == "" {
		return Upload{}, fmt.Errorf("s3 CreateMultipartUpload s3://%s/%s: reply without an upload id", bucket, key)
	}
	return Upload{Bucket: bucket, Key: key, UploadID: res.UploadID}, nil
}

// UploadPart uploads part number (from 1) of u and returns it.
func (c *Client) UploadPart(ctx context.Context, u Upload, number int, data []byte) (Part, error) {
	q := url.Values{"partNumber": {strconv.Itoa(number)}, "uploadId": {u.UploadID}}
	header, _, err := c.call(ctx, &request{op: "UploadPart", method: http.MethodPut, bucket: u.Bucket, key: u.Key, query: q, body: data})
	if err != nil {
		return Part{}, err
	}
	return Part{Number: number, ETag: header.Get(headerETag), Size: int64(len(data))}, nil
}

// CompleteOptions are the options of CompleteUpload.
type CompleteOptions struct {
	// IfNoneMatch makes the completion a conditional create
	// (If-None-Match: *): it fails with ErrPreconditionFailed when the
	// key already exists, and the upload stays pending.
	IfNoneMatch bool
}

// CompleteUpload makes u's parts, in order, the object u.Key and returns
// its ETag. The object appears whole or not at all.
func (c *Client) CompleteUpload(ctx context.Context, u Upload, opts CompleteOptions) (string, error) {
	body := completeMultipartUpload{}
	for _, p := range u.Parts {
		body.Parts = append(body.Parts, partXML{PartNumber: p.Number, ETag: p.ETag})
	}
	data, err := xml.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("s3 CompleteMultipartUpload s3://%s/%s: %w", u.Bucket, u.Key, err)
	}
	h := http.Header{headerContentType: {"application/xml"}}
	if opts.IfNoneMatch {
		h.Set(headerIfNoneMatch, anyETag)
	}
	r := &request{op: "CompleteMultipartUpload", method: http.MethodPost, bucket: u.Bucket, key: u.Key,
		query: url.Values{"uploadId": {u.UploadID}}, header: h, body: data}
	_, reply, err := c.call(ctx, r)
	if err != nil {
		return "", err
	}
	// S3 may answer 200 and put an error in the body.
	if e := errorInBody(r, reply); e != nil {
		return "", e
	}
	var res completeMultipartUploadResult
	if err := xml.Unmarshal(reply, &res); err != nil {
		return "", fmt.Errorf("s3 CompleteMultipartUpload s3://%s/%s: decode reply: %w", u.Bucket, u.Key, err)
	}
	return res.ETag, nil
}

// errorInBody is the error a 200 reply carries in its body, or nil.
func errorInBody(r *request, reply []byte) *Error {
	if !bytes.Contains(reply, []byte("<Error>")) {
		return nil
	}
	var body errorBody
	if xml.Unmarshal(reply, &body) != nil || body.Code == "" {
		return nil
	}
	return &Error{Op: r.op, Bucket: r.bucket, Key: r.key, StatusCode: http.StatusOK,
		Code: body.Code, Message: body.Message, RequestID: body.RequestID}
}

// AbortUpload discards u and its parts. Aborting an upload that is gone
// fails with ErrNoSuchUpload.
func (c *Client) AbortUpload(ctx context.Context, u Upload) error {
	_, _, err := c.call(ctx, &request{op: "AbortMultipartUpload", method: http.MethodDelete, bucket: u.Bucket, key: u.Key,
		query: url.Values{"uploadId": {u.UploadID}}, okStatus: http.StatusNoContent})
	return err
}

// ListUploads lists the pending uploads of keys under prefix, a page at
// a time (key and upload id markers). A server that refuses an
// upload-id-marker (versitygw v1.8.0 refuses every one with 400
// InvalidArgument) is asked again with the key marker alone, which lists
// the keys after it: on such a server uploads of the marker's key past
// the page's end can be missed, so a cleanup lists again after aborting
// until nothing is left.
func (c *Client) ListUploads(ctx context.Context, bucket, prefix string) ([]UploadInfo, error) {
	var out []UploadInfo
	keyMarker, idMarker := "", ""
	for {
		page, err := c.listUploadsPage(ctx, bucket, prefix, keyMarker, idMarker)
		var e *Error
		if idMarker != "" && errors.As(err, &e) && e.Code == codeInvalidArgument {
			page, err = c.listUploadsPage(ctx, bucket, prefix, keyMarker, "")
		}
		if err != nil {
			return nil, err
		}
		for _, u := range page.Uploads {
			out = append(out, UploadInfo(u))
		}
		if !page.IsTruncated {
			return out, nil
		}
		if page.NextKeyMarker == "" {
			return nil, fmt.Errorf("s3 ListMultipartUploads s3://%s/%s: truncated page without a next marker", bucket, prefix)
		}
		keyMarker, idMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}

func (c *Client) listUploadsPage(ctx context.Context, bucket, prefix, keyMarker, idMarker string) (listMultipartUploadsResult, error) {
	q := url.Values{"uploads": {""}, "prefix": {prefix}, "max-uploads": {strconv.Itoa(c.cfg.ListPageSize)}}
	if keyMarker != "" {
		q.Set("key-marker", keyMarker)
	}
	if idMarker != "" {
		q.Set("upload-id-marker", idMarker)
	}
	var page listMultipartUploadsResult
	err := c.callXML(ctx, &request{op: "ListMultipartUploads", method: http.MethodGet, bucket: bucket, about: prefix, query: q}, &page)
	return page, err
}

// ListParts lists the parts uploaded so far to u, a page at a time.
func (c *Client) ListParts(ctx context.Context, u Upload) ([]Part, error) {
	var out []Part
	marker := 0
	for {
		q := url.Values{"uploadId": {u.UploadID}, "max-parts": {strconv.Itoa(c.cfg.ListPageSize)}}
		if marker > 0 {
			q.Set("part-number-marker", strconv.Itoa(marker))
		}
		var page listPartsResult
		if err := c.callXML(ctx, &request{op: "ListParts", method: http.MethodGet, bucket: u.Bucket, key: u.Key, query: q}, &page); err != nil {
			return nil, err
		}
		for _, p := range page.Parts {
			out = append(out, Part{Number: p.PartNumber, ETag: p.ETag, Size: p.Size})
		}
		if !page.IsTruncated {
			return out, nil
		}
		if page.NextPartNumberMarker <= marker {
			return nil, fmt.Errorf("s3 ListParts s3://%s/%s: truncated page without a next part marker", u.Bucket, u.Key)
		}
		marker = page.NextPartNumberMarker
	}
}
