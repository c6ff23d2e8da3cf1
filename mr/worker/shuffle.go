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
	"6.5840/mr/shuffle"
	"6.5840/mr/tlsconf"
	"6.5840/mr/transport"
)

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
	host, port, err := w.serveHostPort(ctx)
	if err != nil {
		return nil, err
	}
	listen := net.JoinHostPort(host, port)
	if w.cfg.Serve != "" {
		listen = w.cfg.Serve
	}
	if w.cfg.TLS != nil {
		if err := w.cfg.TLS.Names(host); err != nil {
			return nil, fmt.Errorf("serve map output: %w (reducers on other machines check it: add it to the certificate, or pass -serve HOST:PORT with a host it names)", err)
		}
	}
	lc := net.ListenConfig{KeepAliveConfig: transport.KeepAlive}
	l, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("serve map output on %s: %w", listen, err)
	}
	_, port, _ = net.SplitHostPort(l.Addr().String())
	s := &shuffler{secret: w.cfg.Secret, tls: w.cfg.TLS, held: w.held, addr: net.JoinHostPort(host, port)}
	if s.tls != nil {
		l = tls.NewListener(l, s.tls.Server())
	}
	s.server = shuffle.NewServer(http.HandlerFunc(s.serveHTTP))
	go s.server.Serve(l)
	w.log.Info("serving map output", "addr", s.addr, "listen", l.Addr().String(), "tls", s.tls != nil)
	return s, nil
}

// serveHostPort returns the host other workers reach this one at, and the
// port to listen on: those of Serve, except that an empty or unspecified
// host (":7001", "0.0.0.0:7001", "[::]:7001": listen everywhere) is
// advertised as the address this machine reaches the coordinator from, as
// is the host of an empty Serve (port 0: any free port).
func (w *Worker) serveHostPort(ctx context.Context) (host, port string, err error) {
	host, port = "", "0"
	if w.cfg.Serve != "" {
		if host, port, err = net.SplitHostPort(w.cfg.Serve); err != nil {
			return "", "", fmt.Errorf("serve map output: %w", err)
		}
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		if host, err = routeTo(ctx, w.cfg.Addr); err != nil {
			return "", "", err
		}
	}
	return host, port, nil
}

// routeTo returns the local address this machine reaches a from: where
// other workers, which reach the same coordinator, can reach this one.
// It sends nothing.
func routeTo(ctx context.Context, a transport.Addr) (string, error) {
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
	key := s.secret.Key(auth.PurposeShuffle)
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
