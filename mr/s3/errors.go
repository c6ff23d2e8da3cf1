package s3

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// Sentinels matched by errors.Is against an *Error's code.
var (
	// ErrNoSuchKey: the object does not exist (NoSuchKey, or 404 on HEAD).
	ErrNoSuchKey = errors.New("s3: no such key")
	// ErrNoSuchBucket: the bucket does not exist.
	ErrNoSuchBucket = errors.New("s3: no such bucket")
	// ErrNoSuchUpload: the multipart upload does not exist (completed or
	// aborted).
	ErrNoSuchUpload = errors.New("s3: no such upload")
	// ErrPreconditionFailed: an If-Match or If-None-Match did not hold
	// (412): the object changed under a read, or a conditional create
	// found the key taken.
	ErrPreconditionFailed = errors.New("s3: precondition failed")
	// ErrAccessDenied: the credentials are wrong or lack the permission
	// (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, and
	// versitygw's XAdminUserNotFound). A HEAD reply has no body: there a
	// 403 is AccessDenied and a 404 NoSuchKey.
	ErrAccessDenied = errors.New("s3: access denied")
)

// Error codes the client acts on.
const (
	codeNoSuchKey             = "NoSuchKey"
	codeNoSuchBucket          = "NoSuchBucket"
	codeNoSuchUpload          = "NoSuchUpload"
	codePreconditionFailed    = "PreconditionFailed"
	codeAccessDenied          = "AccessDenied"
	codeInvalidAccessKeyID    = "InvalidAccessKeyId"
	codeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	// codeUnknownUser is versitygw's code (status 404) for an access
	// key id it does not know, where AWS says InvalidAccessKeyId (403).
	codeUnknownUser     = "XAdminUserNotFound"
	codeSlowDown        = "SlowDown"
	codeRequestTimeout  = "RequestTimeout"
	codeInvalidArgument = "InvalidArgument"
	// maxErrorBody bounds how much of an error reply is read.
	maxErrorBody = 64 << 10
)

// Error is a request S3 answered with an error status. It names the
// operation, the bucket and the key, never a credential.
type Error struct {
	Op         string // e.g. "GetObject"
	Bucket     string
	Key        string
	StatusCode int
	Code       string // S3's error code, e.g. "NoSuchKey"; the status text when the reply had no body
	Message    string
	RequestID  string
}

// Error implements error.
func (e *Error) Error() string {
	msg := ""
	if e.Message != "" {
		msg = ": " + e.Message
	}
	return fmt.Sprintf("s3 %s s3://%s/%s: %d %s%s", e.Op, e.Bucket, e.Key, e.StatusCode, e.Code, msg)
}

// Is matches the sentinels by code and status.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNoSuchKey:
		return e.Code == codeNoSuchKey
	case ErrNoSuchBucket:
		return e.Code == codeNoSuchBucket
	case ErrNoSuchUpload:
		return e.Code == codeNoSuchUpload
	case ErrPreconditionFailed:
		return e.StatusCode == http.StatusPreconditionFailed || e.Code == codePreconditionFailed
	case ErrAccessDenied:
		return e.Code == codeAccessDenied || e.Code == codeInvalidAccessKeyID || e.Code == codeSignatureDoesNotMatch ||
			e.Code == codeUnknownUser
	}
	return false
}

// errorBody is S3's XML error reply.
type errorBody struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string   `xml:"Code"`
	Message   string   `xml:"Message"`
	RequestID string   `xml:"RequestId"`
}

// readError turns an error reply into an *Error and closes its body. A
// reply without an XML body (HEAD) gets a code from its status.
func readError(op, bucket, key string, resp *http.Response) *Error {
	defer resp.Body.Close()
	e := &Error{Op: op, Bucket: bucket, Key: key, StatusCode: resp.StatusCode}
	var body errorBody
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if xml.Unmarshal(data, &body) == nil && body.Code != "" {
		e.Code, e.Message, e.RequestID = body.Code, body.Message, body.RequestID
		return e
	}
	e.Code = codeFromStatus(resp.StatusCode, key)
	return e
}

func codeFromStatus(status int, key string) string {
	switch {
	case status == http.StatusNotFound && key != "":
		return codeNoSuchKey
	case status == http.StatusNotFound:
		return codeNoSuchBucket
	case status == http.StatusPreconditionFailed:
		return codePreconditionFailed
	case status == http.StatusForbidden:
		return codeAccessDenied
	}
	return http.StatusText(status)
}
