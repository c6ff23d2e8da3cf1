package sigv4

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// botocoreSigner signs the requests it reads (JSON lines on stdin) with
// botocore's S3SigV4Auth at a fixed time and prints each Authorization
// header on a line.
const botocoreSigner = `
import sys, json, datetime
from unittest import mock
import botocore.auth, botocore.credentials, botocore.awsrequest
for line in sys.stdin:
    r = json.loads(line)
    creds = botocore.credentials.Credentials(r["key"], r["secret"], r["token"] or None)
    req = botocore.awsrequest.AWSRequest(method=r["method"], url=r["url"], headers=r["headers"], data=r["body"].encode())
    when = datetime.datetime.strptime(r["time"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        botocore.auth.S3SigV4Auth(creds, "s3", r["region"]).add_auth(req)
    print(req.headers["Authorization"])
`

type botoRequest struct {
	Key     string            `json:"key"`
	Secret  string            `json:"secret"`
	Token   string            `json:"token"`
	Region  string            `json:"region"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Body    string            `json:"body"`
	Time    string            `json:"time"`
	Headers map[string]string `json:"headers"`
}

// keyAlphabet mixes unreserved bytes with ones S3 keys need encoded.
const keyAlphabet = "abcXYZ019-._~ /+=&?%$!'()*,;:@é"

func randomText(r *rand.Rand, n int) string {
	alphabet := []rune(keyAlphabet)
	var b strings.Builder
	for range 1 + r.IntN(n) {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

func randomRequest(r *rand.Rand, now time.Time) (botoRequest, *http.Request) {
	methods := []string{"GET", "PUT", "POST", "DELETE", "HEAD"}
	query := url.Values{}
	for range r.IntN(4) {
		query.Add(randomText(r, 6), randomText(r, 6))
	}
	u := &url.URL{Scheme: "http", Host: "127.0.0.1:9000", Path: "/bucket/" + randomText(r, 20)}
	u.RawPath = CanonicalURI(u.Path, false)
	u.RawQuery = CanonicalQuery(query)
	body := randomText(r, 30)
	headers := map[string]string{"Content-Type": "application/octet-stream", "X-Amz-Meta-Note": " a   b " + randomText(r, 5)}
	if r.IntN(2) == 0 {
		headers["Range"] = "bytes=0-9"
	}
	b := botoRequest{Key: "AKIDRANDOM", Secret: randomText(r, 40), Region: "eu-west-3",
		Method: methods[r.IntN(len(methods))], URL: u.String(), Body: body, Time: now.Format(TimeFormat), Headers: headers}
	if r.IntN(2) == 0 {
		b.Token = randomText(r, 40)
	}
	req, _ := http.NewRequest(b.Method, u.String(), strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return b, req
}

// TestAgainstBotocore signs random requests here and with botocore
// (Python's AWS SDK core) and wants the same Authorization header.
func TestAgainstBotocore(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("SKIP: python3 not found; the botocore cross-check needs python3 with botocore")
	}
	if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
		t.Skip("SKIP: python3 has no botocore (pip install botocore); the cross-check needs it")
	}
	const requests = 50
	r := rand.New(rand.NewPCG(17, 4))
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	var in bytes.Buffer
	var want []string
	for range requests {
		b, req := randomRequest(r, now)
		line, err := json.Marshal(b)
		require.NoError(t, err)
		in.Write(append(line, '\n'))
		s := Signer{Credentials: Credentials{AccessKeyID: b.Key, SecretAccessKey: b.Secret, SessionToken: b.Token},
			Region: b.Region, Service: "s3", ContentSHA256Header: true}
		require.NoError(t, s.Sign(req, PayloadHash([]byte(b.Body)), now))
		want = append(want, req.Header.Get(HeaderAuthorization))
	}
	cmd := exec.Command("python3", "-c", botocoreSigner)
	cmd.Stdin = &in
	out, err := cmd.Output()
	require.NoError(t, err, "botocore signer: %s", exitStderr(err))
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, got, requests)
	for i := range want {
		require.Equal(t, got[i], want[i], "request %d", i)
	}
}

func exitStderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
