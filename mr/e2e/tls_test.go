package e2e

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/tlsconf"
	"6.5840/mr/tlsconf/tlstest"
)

// tlsArgs returns the flags that pass files to a program.
func tlsArgs(f tlsconf.Files) []string {
	return []string{"-tls-cert", f.Cert, "-tls-key", f.Key, "-tls-ca", f.CA}
}

// recordingProxy forwards TCP connections to a target and records every
// byte that passes, both ways.
type recordingProxy struct {
	l      net.Listener
	target string

	// mu guards seen and conns, the connections open through the proxy.
	mu    sync.Mutex
	seen  bytes.Buffer
	conns []net.Conn
}

// startProxy starts a proxy to target on loopback; it stops, closing its
// connections, when the test ends.
func startProxy(t *testing.T, target string) *recordingProxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &recordingProxy{l: l, target: target}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.forward(c) })
		}
	})
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		wg.Wait()
	})
	return p
}

func (p *recordingProxy) addr() string { return p.l.Addr().String() }

func (p *recordingProxy) forward(c net.Conn) {
	defer c.Close()
	d, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer d.Close()
	p.mu.Lock()
	p.conns = append(p.conns, c, d)
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		io.Copy(dst, io.TeeReader(src, p))
		done <- struct{}{}
	}
	go pipe(d, c)
	go pipe(c, d)
	<-done
}

// Write records b.
func (p *recordingProxy) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen.Write(b)
}

func (p *recordingProxy) recorded() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.seen.Bytes())
}

// TestTLSEncryptsTheRPCs: what passes between a worker and the
// coordinator shows the task's input name in plain TCP, and nothing of it
// with TLS.
func TestTLSEncryptsTheRPCs(t *testing.T) {
	t.Parallel()
	const input = "pg-metamorphosis.txt"
	for _, useTLS := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "tls"}[useTLS]
		t.Run(name, func(t *testing.T) {
			j := newJob(t, input)
			secret := writeSecret(t)
			var coordTLS, workerTLS []string
			if useTLS {
				ca := tlstest.NewCA(t, "job")
				coordTLS = tlsArgs(ca.Issue("coordinator", "127.0.0.1"))
				workerTLS = tlsArgs(ca.Issue("worker", "127.0.0.1"))
			}
			c := j.coordinator(append(coordTLS, "-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-nreduce", "2")...)
			proxy := startProxy(t, strings.TrimPrefix(j.waitForAddr(c), "tcp:"))
			w := j.start("mrworker", nil, append(workerTLS, "-addr", "tcp:"+proxy.addr(), "-secret-file", secret,
				"-local-dir", t.TempDir(), filepath.Join(bin, "probe.so"))...)
			require.NoError(t, c.wait(t))
			require.NoError(t, w.wait(t))
			require.Equal(t, j.want(), j.output())

			seen := proxy.recorded()
			require.NotEmpty(t, seen)
			require.Equal(t, !useTLS, bytes.Contains(seen, []byte(input)),
				"the input's name on the wire (%d bytes seen)", len(seen))
		})
	}
}

func TestTLSWordCountAndRefusals(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	secret := writeSecret(t)
	ca := tlstest.NewCA(t, "job")
	coordFiles := ca.Issue("coordinator", "127.0.0.1")

	half := j.start("mrcoordinator", nil, "-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-tls-cert", coordFiles.Cert, j.inputs[0])
	require.Equal(t, 2, exitCode(half.wait(t)))
	require.Contains(t, half.log(), "-tls-key is missing")
	unix := j.start("mrworker", nil, append(tlsArgs(coordFiles), filepath.Join(bin, "probe.so"))...)
	require.Equal(t, 2, exitCode(unix.wait(t)))
	require.Contains(t, unix.log(), "needs -addr tcp:")

	c := j.coordinator(append(tlsArgs(coordFiles), "-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-nreduce", "4")...)
	addr := j.waitForAddr(c)

	stranger := tlstest.NewCA(t, "other").Issue("stranger", "127.0.0.1")
	refused := j.start("mrworker", nil, append(tlsArgs(stranger), "-addr", addr, "-secret-file", secret, filepath.Join(bin, "probe.so"))...)
	require.Equal(t, 1, exitCode(refused.wait(t)))
	require.Contains(t, refused.log(), "cannot set up TLS with the coordinator")
	require.Contains(t, refused.log(), "unknown authority")
	plain := j.start("mrworker", nil, "-addr", addr, "-secret-file", secret, "-retry-window", "1s", filepath.Join(bin, "probe.so"))
	require.Equal(t, 1, exitCode(plain.wait(t)))
	require.Contains(t, plain.log(), "does the coordinator use TLS")

	gate := filepath.Join(j.dir, "gate")
	var workers []*proc
	var locals []string
	for i := range 3 {
		files := ca.Issue("worker"+string(rune('a'+i)), "127.0.0.1")
		local := t.TempDir()
		w := j.start("mrworker", []string{"PROBE_MAP_GATE=" + gate},
			append(tlsArgs(files), "-addr", addr, "-secret-file", secret, "-local-dir", local, filepath.Join(bin, "probe.so"))...)
		workers, locals = append(workers, w), append(locals, local)
	}
	j.waitFor("the workers to register", func() bool { return len(serverRE.FindAllString(c.log(), -1)) >= len(workers) })
	// A worker's map output server speaks only TLS.
	server := serverRE.FindStringSubmatch(c.log())[3]
	resp, err := http.Get("http://" + server + "/")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "a plain HTTP request to %s", server)
	j.openGateOnceRegistered(c, gate, len(workers))

	require.NoError(t, c.wait(t))
	for _, w := range workers {
		require.NoError(t, w.wait(t))
	}
	require.Equal(t, j.want(), j.output())
	require.Positive(t, j.report().Counters["shuffle_bytes_fetched"], "reducers fetched map output over TLS")
	for _, local := range locals {
		empty(t, local)
	}
}
