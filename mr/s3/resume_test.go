package s3_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
)

// cuttingProxy forwards TCP connections to upstream; each of the first
// cuts connections is closed after cutAfter bytes of the reply.
type cuttingProxy struct {
	l        net.Listener
	upstream string
	cutAfter int64
	cuts     atomic.Int32
	wg       sync.WaitGroup
}

func startCuttingProxy(t *testing.T, upstream string, cutAfter int64, cuts int32) *cuttingProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &cuttingProxy{l: l, upstream: upstream, cutAfter: cutAfter}
	p.cuts.Store(cuts)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { l.Close(); p.wg.Wait() })
	return p
}

func (p *cuttingProxy) serve() {
	defer p.wg.Done()
	for {
		conn, err := p.l.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.forward(conn) }()
	}
}

func (p *cuttingProxy) forward(conn net.Conn) {
	defer conn.Close()
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	defer up.Close()
	go io.Copy(up, conn)
	if p.cuts.Add(-1) >= 0 {
		io.CopyN(conn, up, p.cutAfter)
		return
	}
	io.Copy(conn, up)
}

// proxiedClient talks to srv through p, on connections of its own.
func proxiedClient(t *testing.T, srv *s3test.Server, p *cuttingProxy) *s3.Client {
	cfg := srv.Config()
	cfg.Endpoint = "http://" + p.l.Addr().String()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{}}
	cfg.Sleep = func(context.Context, time.Duration) error { return nil }
	c, err := s3.New(cfg)
	require.NoError(t, err)
	return c
}

func TestReaderResumesAfterDrop(t *testing.T) {
	srv := s3test.Start(t)
	data := randomBytes(3, 1<<20)
	_, err := srv.Client(t).PutObject(context.Background(), bucket, "big", data, s3.PutOptions{})
	require.NoError(t, err)
	const cuts = 3
	p := startCuttingProxy(t, srv.Endpoint[len("http://"):], 100_000, cuts)
	c := proxiedClient(t, srv, p)
	r, err := c.NewReader(context.Background(), bucket, "big", 1000, int64(len(data))-2000, s3.ReadOptions{})
	require.NoError(t, err)
	got, err := io.ReadAll(r)
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.Equal(t, len(data)-2000, len(got))
	require.True(t, string(data[1000:len(data)-1000]) == string(got), "bytes differ after resuming")
	require.Less(t, p.cuts.Load(), int32(0), "every cut happened")
}

func TestReaderRefusesChangedObjectOnResume(t *testing.T) {
	srv := s3test.Start(t)
	direct := srv.Client(t)
	data := randomBytes(4, 1<<20)
	_, err := direct.PutObject(context.Background(), bucket, "big", data, s3.PutOptions{})
	require.NoError(t, err)
	p := startCuttingProxy(t, srv.Endpoint[len("http://"):], 200_000, 1)
	r, err := proxiedClient(t, srv, p).NewReader(context.Background(), bucket, "big", 0, -1, s3.ReadOptions{})
	require.NoError(t, err)
	defer r.Close()
	head := make([]byte, 1000)
	_, err = io.ReadFull(r, head)
	require.NoError(t, err)
	_, err = direct.PutObject(context.Background(), bucket, "big", randomBytes(5, 1<<20), s3.PutOptions{})
	require.NoError(t, err)
	_, err = io.ReadAll(r)
	require.ErrorIs(t, err, s3.ErrPreconditionFailed, "a resumed read must not mix two versions")
}

func TestReaderGivesUpWithoutProgress(t *testing.T) {
	srv := s3test.Start(t)
	_, err := srv.Client(t).PutObject(context.Background(), bucket, "k", randomBytes(10, 1000), s3.PutOptions{})
	require.NoError(t, err)
	p := startCuttingProxy(t, srv.Endpoint[len("http://"):], 0, 1000) // every reply cut before a byte
	_, err = proxiedClient(t, srv, p).NewReader(context.Background(), bucket, "k", 0, -1, s3.ReadOptions{})
	require.ErrorContains(t, err, "s3://"+bucket+"/k")
	require.Equal(t, int32(1000-s3.DefaultMaxAttempts), p.cuts.Load(), "MaxAttempts tries, then the error")
}
