// Package sigv4 signs HTTP requests with AWS Signature Version 4, the
// scheme S3 and S3-compatible servers authenticate requests with.
//
// A request is signed in four steps (AWS's "Create a signed AWS API
// request"):
//
//	CanonicalRequest = Method "\n" CanonicalURI "\n" CanonicalQuery "\n"
//	                   CanonicalHeaders "\n" SignedHeaders "\n" PayloadHash
//	StringToSign     = "AWS4-HMAC-SHA256\n" Time "\n" Scope "\n" hex(SHA256(CanonicalRequest))
//	Scope            = Date "/" Region "/" Service "/aws4_request"
//	SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" Secret, Date), Region), Service), "aws4_request")
//	Signature        = hex(HMAC(SigningKey, StringToSign))
//
// and sent as
//
//	Authorization: AWS4-HMAC-SHA256 Credential=KeyID/Scope, SignedHeaders=h1;h2, Signature=S
//
// CanonicalURI is the path with every byte but the unreserved ones
// (A-Z a-z 0-9 - . _ ~) and "/" percent-encoded in upper-case hex, once.
// S3 does not normalize paths: "//a/./b/../" names an object of that
// exact key, so with NormalizePath false (what S3 wants) the path is
// encoded as it is. Other services remove "." and ".." segments and
// repeated slashes first (NormalizePath true), as the published test
// suite's get-slash and get-relative cases expect.
//
// CanonicalQuery is every parameter, name and value encoded like the
// path but with "/" encoded too, sorted by name then value, joined by
// "&"; a parameter with no value is "name=". CanonicalHeaders is every
// signed header as lowercase-name ":" value "\n", sorted by name, with
// runs of spaces in a value collapsed to one, the value trimmed, and
// repeated headers joined by ",". Signed are host and every header the
// request carries except Authorization and User-Agent (which proxies
// rewrite).
//
// S3 wants the payload's hash in X-Amz-Content-Sha256 too (or
// UNSIGNED-PAYLOAD for a body that is not hashed); with a session token
// the token goes in X-Amz-Security-Token, signed.
//
// The secret never leaves the signer: Credentials print their key id and
// never the secret or the token, whatever the format verb.
package sigv4
