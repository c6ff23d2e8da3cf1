package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"

	"6.5840/mr/auth"
	"6.5840/mr/protocol"
	"6.5840/mr/shuffle"
	"6.5840/mr/tlsconf"
)

// shuffleKeyPurpose names the key that signs map output requests.
const shuffleKeyPurpose = "map output"

// shuffler serves this worker's committed map outputs to other workers
// and fetches theirs, over HTTP authenticated with the job's secret.
type shuffler struct {
	secret auth.Secret
	// tls, if not nil, encrypts what is served and fetched.
	tls  *tlsconf.Config
	held *heldOutputs
	// addr is where the server listens, host:port.
	addr   string
	server *http.Server

	// mu guards handler, fetcher and job, which change when the worker
	// registers with a job.
	mu      sync.Mutex
	handler http.Handler
	fetcher *shuffle.Fetcher
	job     string
}

// errNotReady answers requests that come before the worker has joined a
// job: it cannot check their signatures yet.
var errNotReady = errors.New("this worker has not joined a job yet")

// startServing listens where the worker serves its map output and starts
// serving; requests are refused until setJob.
func (w *Worker) startServing(ctx context.Context) (*shuffler, error) {
	addr := w.cfg.Serve
	if addr == "" {
		host, err := routeTo(ctx, w.cfg.Addr)
		if err != nil {
			return nil, err
		}
		addr = net.JoinHostPort(host, "0")
	}
	lc := net.ListenConfig{KeepAliveConfig: protocol.KeepAlive}
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve map output on %s: %w", addr, err)
	}
	s := &shuffler{secret: w.cfg.Secret, tls: w.cfg.TLS, held: w.held, addr: l.Addr().String()}
	if s.tls != nil {
		l = tls.NewListener(l, s.tls.Server())
	}
	s.server = shuffle.NewServer(http.HandlerFunc(s.serveHTTP))
	go s.server.Serve(l)
	w.log.Info("serving map output", "addr", s.addr, "tls", s.tls != nil)
	return s, nil
}

// routeTo returns the local address this machine reaches a from: where
// other workers, which reach the same coordinator, can reach this one.
// It sends nothing.
func routeTo(ctx context.Context, a protocol.Addr) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", a.Address)
	if err != nil {
		return "", fmt.Errorf("find this host's address towards %s: %w", a, err)
	}
	defer conn.Close()
	host, _, err := net.SplitHostPort(conn.LocalAddr().String())
	return host, err
}

func (s *shuffler) serveHTTP(rw http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.handler
	s.mu.Unlock()
	if h == nil {
		http.Error(rw, errNotReady.Error(), http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(rw, r)
}

// setJob makes the server answer, and the fetcher ask, for job.
func (s *shuffler) setJob(job string, log *slog.Logger) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.job == job && s.handler != nil {
		return nil
	}
	key := s.secret.Key(shuffleKeyPurpose)
	h, err := shuffle.NewHandler(shuffle.HandlerConfig{Key: key, Job: job, Lookup: s.held.Lookup, Logger: log})
	if err != nil {
		return err
	}
	fc := shuffle.FetcherConfig{Key: key, Job: job, Logger: log}
	if s.tls != nil {
		fc.TLS = s.tls.Client("")
	}
	f, err := shuffle.NewFetcher(fc)
	if err != nil {
		return err
	}
	if s.fetcher != nil {
		s.fetcher.Close()
	}
	s.handler, s.fetcher, s.job = h, f, job
	return nil
}

// currentFetcher returns the fetcher of the job the worker is in.
func (s *shuffler) currentFetcher() *shuffle.Fetcher {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetcher
}

// close stops serving: nothing is written or read for others any more.
func (s *shuffler) close() {
	s.server.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fetcher != nil {
		s.fetcher.Close()
	}
}
