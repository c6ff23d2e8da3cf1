package sigv4

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The examples of AWS's S3 documentation, "Signature Calculations for
// the Authorization Header: Transferring Payload in a Single Chunk"
// (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html):
// GET Object with a range, PUT Object, GET Bucket lifecycle and GET
// Bucket (list objects), signed with the documentation's example key
// pair at 20130524T000000Z for examplebucket in us-east-1.

const (
	docKeyID  = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	docTime   = "20130524T000000Z"
	docHost   = "examplebucket.s3.amazonaws.com"
	docScope  = "20130524/us-east-1/s3/aws4_request"
	// docPutBodyHash is the SHA-256 of "Welcome to Amazon S3.".
	docPutBodyHash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
)

type docExample struct {
	name      string
	method    string
	path      string
	query     url.Values
	headers   [][2]string // besides X-Amz-Date and X-Amz-Content-Sha256
	payload   string
	stsHash   string
	signature string
}

var docExamples = []docExample{
	{name: "get-object-range", method: "GET", path: "/test.txt",
		headers: h("Range", "bytes=0-9"), payload: EmptyPayloadHash,
		stsHash:   "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
		signature: "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
	{name: "put-object", method: "PUT", path: "/test$file.text",
		headers: h("Date", "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Storage-Class", "REDUCED_REDUNDANCY"), payload: docPutBodyHash,
		stsHash:   "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
		signature: "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
	{name: "get-bucket-lifecycle", method: "GET", path: "/",
		query: url.Values{"lifecycle": {""}}, payload: EmptyPayloadHash,
		stsHash:   "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
		signature: "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
	{name: "get-bucket-list-objects", method: "GET", path: "/",
		query: url.Values{"max-keys": {"2"}, "prefix": {"J"}}, payload: EmptyPayloadHash,
		stsHash:   "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
		signature: "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
}

// TestS3DocumentationExamples signs each example through Sign, the path
// the client takes, and checks the string to sign and the header.
func TestS3DocumentationExamples(t *testing.T) {
	now, err := time.Parse(TimeFormat, docTime)
	require.NoError(t, err)
	s := Signer{Credentials: Credentials{AccessKeyID: docKeyID, SecretAccessKey: docSecret},
		Region: "us-east-1", Service: "s3", ContentSHA256Header: true}
	for _, c := range docExamples {
		t.Run(c.name, func(t *testing.T) {
			u := &url.URL{Scheme: "https", Host: docHost, Path: c.path, RawQuery: CanonicalQuery(c.query)}
			req, err := http.NewRequest(c.method, u.String(), nil)
			require.NoError(t, err)
			for _, kv := range c.headers {
				req.Header.Add(kv[0], kv[1])
			}
			require.NoError(t, s.Sign(req, c.payload, now))
			require.Equal(t, c.payload, req.Header.Get(HeaderContentSHA256))
			parts := Parts{Method: c.method, Host: docHost, Path: c.path, Query: req.URL.Query(), Header: req.Header, PayloadHash: c.payload}
			creq, signed := s.CanonicalRequest(parts)
			require.Equal(t, strings.Join([]string{Algorithm, docTime, docScope, c.stsHash}, "\n"), StringToSign(now, s.Scope(now), creq))
			want := Algorithm + " Credential=" + docKeyID + "/" + docScope + ", SignedHeaders=" + signed + ", Signature=" + c.signature
			require.Equal(t, want, req.Header.Get(HeaderAuthorization))
		})
	}
}

func TestCredentialsNeverPrintSecret(t *testing.T) {
	c := Credentials{AccessKeyID: "AKIDPRINT", SecretAccessKey: "very-secret-value", SessionToken: "token-value"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		got := fmt.Sprintf(format, c)
		require.NotContains(t, got, "very-secret-value", format)
		require.NotContains(t, got, "token-value", format)
	}
	require.Contains(t, c.String(), "AKIDPRINT")
	type wrapper struct{ C Credentials }
	require.NotContains(t, fmt.Sprintf("%+v", wrapper{c}), "very-secret-value")
}

func TestSignWithoutCredentials(t *testing.T) {
	req, err := http.NewRequest("GET", "http://localhost/", nil)
	require.NoError(t, err)
	require.ErrorIs(t, Signer{}.Sign(req, EmptyPayloadHash, time.Now()), ErrNoCredentials)
}

func TestUnsignedPayload(t *testing.T) {
	s := Signer{Credentials: Credentials{AccessKeyID: docKeyID, SecretAccessKey: docSecret},
		Region: "us-east-1", Service: "s3", ContentSHA256Header: true}
	req, err := http.NewRequest("PUT", "https://"+docHost+"/big", nil)
	require.NoError(t, err)
	now, err := time.Parse(TimeFormat, docTime)
	require.NoError(t, err)
	require.NoError(t, s.Sign(req, UnsignedPayload, now))
	require.Equal(t, UnsignedPayload, req.Header.Get(HeaderContentSHA256))
	creq, signed := s.CanonicalRequest(Parts{Method: "PUT", Host: docHost, Path: "/big", Header: req.Header, PayloadHash: UnsignedPayload})
	require.True(t, strings.HasSuffix(creq, "\n"+UnsignedPayload), creq)
	require.Equal(t, "host;x-amz-content-sha256;x-amz-date", signed)
}
