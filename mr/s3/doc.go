// Package s3 is a small client for S3 and S3-compatible servers: the
// few calls a MapReduce job needs to read its inputs from a bucket and
// commit its outputs to one, on the standard library alone. Requests
// are signed with Signature Version 4 (package sigv4) and replies read
// with encoding/xml.
//
// # Calls
//
//   - ParseLocation: s3://BUCKET/KEY is one object, s3://BUCKET/PREFIX/
//     (trailing slash) every object under PREFIX/.
//   - ListObjects: every object under a prefix, in key order
//     (ListObjectsV2, paged by continuation token, Config.ListPageSize a
//     page).
//   - HeadObject: size, ETag, last-modified.
//   - NewReader: a byte range as a stream (GetObject with Range). A
//     connection that drops mid-body is asked again from the first byte
//     not received, with If-Match on the ETag: a read never mixes two
//     versions of an object and fails with ErrPreconditionFailed if it
//     changed.
//   - PutObject: a small object in one request (the job report), with
//     an optional If-None-Match: * (create only).
//   - NewWriter: an object streamed as a multipart upload, parts of
//     Config.PartSize (default 8 MiB, at least 5 MiB) uploaded as they
//     fill, one in the background while the next fills: memory is two
//     parts. Close completes the upload; Finish
//     leaves it pending and returns it (Upload: bucket, key, upload id,
//     parts) for whoever decides the commit: CompleteUpload (with
//     If-None-Match: * on request: a second completion of the same key
//     fails with ErrPreconditionFailed, 412, and leaves its upload
//     pending) or AbortUpload.
//   - CreateUpload, UploadPart, ListUploads (pending uploads under a
//     prefix, paged by key and upload id markers), ListParts (paged),
//     DeleteObject; CreateBucket for tests and tools.
//
// # Retries
//
// Every try of a request has a deadline (Config.RequestTimeout, default
// two minutes) under the caller's context. A try that fails with a 5xx,
// SlowDown, RequestTimeout, a dropped or refused connection or its own
// deadline is made again, up to RetryPolicy.MaxAttempts tries (default
// 5), after a wait drawn uniformly from [0, min(MaxDelay, BaseDelay *
// 2^(n-1))) after the n-th ("full jitter"; defaults 100 ms and 5 s).
// Every other 4xx fails at once: AccessDenied, InvalidAccessKeyId and
// SignatureDoesNotMatch (ErrAccessDenied), NoSuchBucket
// (ErrNoSuchBucket), NoSuchKey (ErrNoSuchKey), 412
// (ErrPreconditionFailed). The caller's context ends the retries. A
// Reader counts its resumes the same way, the count reset by every byte
// received.
//
// # Errors
//
// A reply with an error status is an *Error: the operation, the bucket,
// the key (or prefix), the HTTP status, S3's error code and message and
// the request id; errors.Is matches it against the Err sentinels.
//
// # Credentials, region, endpoint
//
// FromEnv reads them as the AWS CLI does: AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; else the AWS_PROFILE
// profile (default "default") of the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials), then of
// the config file (AWS_CONFIG_FILE, default ~/.aws/config, sections
// "[profile NAME]"). The region is AWS_REGION, then AWS_DEFAULT_REGION,
// then the profile's region in the config file, then us-east-1. The
// endpoint is AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL, else AWS.
// A custom endpoint is addressed path-style (ENDPOINT/BUCKET/KEY): local
// and compatible servers rarely have per-bucket DNS names. AWS itself is
// addressed virtual-hosted (BUCKET.s3.REGION.amazonaws.com/KEY), as AWS
// wants for new buckets, except for bucket names that are not a DNS
// label (with a dot), which go path-style. A credentials file readable
// or writable by group or others is refused (the error names the file
// and its mode), as ssh refuses such a private key: a secret another
// user can read is already leaked.
//
// # What is never shown
//
// The secret key and the session token appear in no error, log line or
// formatted value: sigv4.Credentials print as their key id with the
// rest redacted under every format verb, errors name the bucket and key
// only, and the keys travel in request headers (the signature), never
// in URLs. Request bodies are hashed into the signature
// (X-Amz-Content-Sha256), so the signature covers the body too.
//
// # Servers
//
// Tested against versitygw v1.8.0 (package s3test starts it). It
// supports If-None-Match: * on PutObject and CompleteMultipartUpload
// (412 PreconditionFailed when the key exists). It answers an unknown
// access key id with 404 XAdminUserNotFound, which ErrAccessDenied
// matches. It refuses every upload-id-marker when listing uploads (400
// InvalidArgument): ListUploads then asks with the key marker alone,
// see there.
package s3
