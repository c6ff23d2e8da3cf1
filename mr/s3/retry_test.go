package s3_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/sigv4"
)

// fakeClock records the waits a client asks for and never waits.
type fakeClock struct{ waits []time.Duration }

func (f *fakeClock) sleep(_ context.Context, d time.Duration) error {
	f.waits = append(f.waits, d)
	return nil
}

// scripted answers the i-th request with replies[i] (the last one
// repeated) and counts requests.
func scripted(t *testing.T, replies ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if r.Header.Get("Authorization") == "" {
			t.Errorf("request %d not signed", i)
		}
		replies[min(i, len(replies)-1)](w)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func s3Error(status int, code string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.WriteHeader(status)
		w.Write([]byte("<Error><Code>" + code + "</Code><Message>scripted</Message></Error>"))
	}
}

func ok(w http.ResponseWriter) {
	w.Header().Set("ETag", `"abc"`)
	w.WriteHeader(http.StatusOK)
}

// dropConnection closes the connection without an answer.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// cutReply promises a 100-byte body, sends 5 bytes and hangs up.
func cutReply(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"))
		conn.Close()
	}
}

func scriptedClient(t *testing.T, srv *httptest.Server, clock *fakeClock) *s3.Client {
	c, err := s3.New(s3.Config{Endpoint: srv.URL, Credentials: sigv4.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
		Retry:  s3.RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 250 * time.Millisecond},
		Sleep:  clock.sleep,
		Jitter: func(max time.Duration) time.Duration { return max }})
	require.NoError(t, err)
	return c
}

func TestRetryThenSuccess(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first func(w http.ResponseWriter)
	}{
		{"SlowDown", s3Error(http.StatusServiceUnavailable, "SlowDown")},
		{"InternalError", s3Error(http.StatusInternalServerError, "InternalError")},
		{"RequestTimeout", s3Error(http.StatusBadRequest, "RequestTimeout")},
		{"dropped connection", dropConnection},
		{"reply cut short", cutReply},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, n := scripted(t, tc.first, tc.first, ok)
			clock := &fakeClock{}
			etag, err := scriptedClient(t, srv, clock).PutObject(context.Background(), "bkt", "k", []byte("data"), s3.PutOptions{})
			require.NoError(t, err)
			require.Equal(t, `"abc"`, etag)
			require.Equal(t, int32(3), n.Load())
			// Full jitter draws from [0, ceiling); Jitter returns the ceiling.
			require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond}, clock.waits)
		})
	}
}

func TestRetryBounded(t *testing.T) {
	srv, n := scripted(t, s3Error(http.StatusServiceUnavailable, "SlowDown"))
	clock := &fakeClock{}
	_, err := scriptedClient(t, srv, clock).PutObject(context.Background(), "bkt", "k", nil, s3.PutOptions{})
	var e *s3.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "SlowDown", e.Code)
	require.Equal(t, int32(4), n.Load(), "MaxAttempts tries")
	require.Equal(t, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}, clock.waits, "capped at MaxDelay")
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, code := range []struct {
		status int
		code   string
		is     error
	}{
		{http.StatusForbidden, "AccessDenied", s3.ErrAccessDenied},
		{http.StatusForbidden, "InvalidAccessKeyId", s3.ErrAccessDenied},
		{http.StatusForbidden, "SignatureDoesNotMatch", s3.ErrAccessDenied},
		{http.StatusNotFound, "NoSuchBucket", s3.ErrNoSuchBucket},
		{http.StatusNotFound, "NoSuchKey", s3.ErrNoSuchKey},
		{http.StatusPreconditionFailed, "PreconditionFailed", s3.ErrPreconditionFailed},
	} {
		t.Run(code.code, func(t *testing.T) {
			srv, n := scripted(t, s3Error(code.status, code.code), ok)
			clock := &fakeClock{}
			_, err := scriptedClient(t, srv, clock).PutObject(context.Background(), "bkt", "some/key", nil, s3.PutOptions{})
			require.ErrorIs(t, err, code.is)
			require.ErrorContains(t, err, "s3://bkt/some/key")
			require.Equal(t, int32(1), n.Load())
			require.Empty(t, clock.waits)
		})
	}
}

func TestRequestDeadline(t *testing.T) {
	release := make(chan struct{})
	srv, n := scripted(t, func(w http.ResponseWriter) { <-release }, ok)
	defer close(release)
	clock := &fakeClock{}
	c, err := s3.New(s3.Config{Endpoint: srv.URL, Credentials: sigv4.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
		RequestTimeout: 20 * time.Millisecond, Sleep: clock.sleep})
	require.NoError(t, err)
	_, err = c.PutObject(context.Background(), "bkt", "k", nil, s3.PutOptions{})
	require.NoError(t, err, "a try past its deadline is retried")
	require.Equal(t, int32(2), n.Load())
}

func TestCallerContextStopsRetries(t *testing.T) {
	srv, n := scripted(t, s3Error(http.StatusServiceUnavailable, "SlowDown"))
	ctx, cancel := context.WithCancel(context.Background())
	c, err := s3.New(s3.Config{Endpoint: srv.URL, Credentials: sigv4.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
		Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }})
	require.NoError(t, err)
	_, err = c.PutObject(ctx, "bkt", "k", nil, s3.PutOptions{})
	require.ErrorIs(t, err, context.Canceled)
	require.Equal(t, int32(1), n.Load())
}

func sigv4Creds() sigv4.Credentials {
	return sigv4.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret-key-value"}
}

// recordingTransport answers every request with 200 and keeps its URL.
type recordingTransport struct{ urls []string }

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.urls = append(r.urls, req.URL.String())
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: http.NoBody, Request: req}, nil
}

func TestAddressing(t *testing.T) {
	rt := &recordingTransport{}
	aws, err := s3.New(s3.Config{Region: "eu-west-3", Credentials: sigv4Creds(), HTTPClient: &http.Client{Transport: rt}})
	require.NoError(t, err)
	custom, err := s3.New(s3.Config{Endpoint: "http://127.0.0.1:9", Credentials: sigv4Creds(), HTTPClient: &http.Client{Transport: rt}})
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, aws.DeleteObject(ctx, "bkt", "a b/c"))
	require.NoError(t, aws.DeleteObject(ctx, "dotted.bucket", "k"))
	require.NoError(t, custom.DeleteObject(ctx, "bkt", "a b/c"))
	require.Equal(t, []string{
		"https://bkt.s3.eu-west-3.amazonaws.com/a%20b/c",
		"https://s3.eu-west-3.amazonaws.com/dotted.bucket/k",
		"http://127.0.0.1:9/bkt/a%20b/c",
	}, rt.urls)
}
