package auth

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// pipeListener is a net.Listener of net.Pipe connections, so that a
// listener runs in a synctest bubble. Each connection's remote address is
// the name its dialer gives.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return fakeAddr("listener") }

// dial connects to l as remote, returning the dialer's end.
func (l *pipeListener) dial(t *testing.T, remote string) net.Conn {
	c, s := net.Pipe()
	select {
	case l.conns <- &namedConn{Conn: s, remote: fakeAddr(remote)}:
	case <-l.done:
		t.Fatalf("dial %s: listener closed", remote)
	}
	return c
}

// namedConn is a connection with a given remote address.
type namedConn struct {
	net.Conn
	remote net.Addr
}

func (c *namedConn) RemoteAddr() net.Addr { return c.remote }

// refusal is a call of a listener's refused function.
type refusal struct {
	remote string
	err    error
}

// refusals returns a refused function that sends its calls to the
// returned channel, which holds up to n.
func refusals(n int) (func(net.Addr, error), chan refusal) {
	ch := make(chan refusal, n)
	return func(a net.Addr, err error) { ch <- refusal{a.String(), noteErr(err)} }, ch
}

// dialClient runs Client on a new connection to l, returning its outcome
// on a channel.
func dialClient(t *testing.T, l *pipeListener, remote string, s Secret) <-chan outcome {
	raw := l.dial(t, remote)
	done := make(chan outcome, 1)
	go func() {
		c, err := Client(raw, s, testTimeout)
		done <- outcome{c, noteErr(err)}
	}()
	return done
}

// TestListenerAcceptsOnlyPeers: connections that fail the handshake,
// however slowly, never reach Accept, nor delay a good client.
func TestListenerAcceptsOnlyPeers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret("shared")
		pl := newPipeListener()
		refused, got := refusals(10)
		l := NewListener(pl, secret, testTimeout, refused)
		defer l.Close()

		bad := map[string]error{}
		for _, b := range []struct {
			name    string
			script  peerScript
			wantErr error
		}{
			{"garbage", peerScript{"garbage garbage", false}, ErrNotAPeer},
			{"HTTP", peerScript{"GET / HTTP/1.1\r\n\r\n", false}, ErrNotAPeer},
			{"truncated", peerScript{"MRAU", true}, io.ErrUnexpectedEOF},
			{"silent after a bit", peerScript{"MRAU", false}, os.ErrDeadlineExceeded},
		} {
			go b.script.play(pl.dial(t, b.name))
			bad[b.name] = b.wantErr
		}
		// A half-open peer: it does not even read the hello.
		silent := pl.dial(t, "silent")
		defer silent.Close()
		bad["silent"] = os.ErrDeadlineExceeded
		other := dialClient(t, pl, "other secret", testSecret("other"))
		bad["other secret"] = ErrPeerUnproven

		start := time.Now()
		good := dialClient(t, pl, "good", secret)
		c, err := l.Accept()
		require.NoError(t, err)
		require.Zero(t, time.Since(start), "got the good client accepted late")
		require.Equal(t, "good", c.RemoteAddr().String())
		cli := <-good
		require.NoError(t, cli.err)
		go cli.conn.Write([]byte("hello"))
		buf := make([]byte, 5)
		_, err = io.ReadFull(c, buf)
		require.NoError(t, err)
		require.Equal(t, "hello", string(buf))
		require.ErrorIs(t, (<-other).err, ErrSecretRefused)

		for range bad {
			r := <-got
			want, ok := bad[r.remote]
			require.True(t, ok, "got %s refused twice, or unknown", r.remote)
			require.ErrorIs(t, r.err, want, "refused %s", r.remote)
			delete(bad, r.remote)
		}
		require.LessOrEqual(t, time.Since(start), testTimeout, "got refusals after the timeout")

		accepted := make(chan outcome, 1)
		go func() {
			c, err := l.Accept()
			accepted <- outcome{c, err}
		}()
		synctest.Wait()
		select {
		case a := <-accepted:
			t.Fatalf("got another connection accepted: %v, %v", a.conn, a.err)
		default:
		}
		require.NoError(t, l.Close())
		require.ErrorIs(t, (<-accepted).err, net.ErrClosed)
	})
}

// requireBusy dials l as remote and requires the connection to be closed
// at once and refused as busy; it returns the refusal's error.
func requireBusy(t *testing.T, l *pipeListener, got <-chan refusal, remote string) error {
	t.Helper()
	start := time.Now()
	extra := l.dial(t, remote)
	r := <-got
	require.Equal(t, remote, r.remote)
	require.ErrorIs(t, r.err, ErrBusy)
	_, err := extra.Read(make([]byte, 1))
	require.Equal(t, io.EOF, err, "got the extra connection open")
	require.Zero(t, time.Since(start), "got the extra connection closed late")
	return r.err
}

// requireAccepted dials pl as remote with secret and requires the
// handshake to pass and l to accept the connection.
func requireAccepted(t *testing.T, l net.Listener, pl *pipeListener, remote string, secret Secret) {
	t.Helper()
	client := dialClient(t, pl, remote, secret)
	c, err := l.Accept()
	require.NoError(t, err)
	require.NoError(t, (<-client).err)
	c.Close()
}

// TestListenerBusy: when every slot holds an authenticated connection
// that nobody accepted yet, new connections are closed at once, and
// refused; a slot frees up when one is accepted.
func TestListenerBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret("shared")
		pl := newPipeListener()
		refused, got := refusals(1)
		l := NewListener(pl, secret, testTimeout, refused)
		defer l.Close()
		for i := range maxHandshakes {
			c := <-dialClient(t, pl, fmt.Sprintf("waiting-%d:1", i), secret)
			require.NoError(t, c.err)
			defer c.conn.Close()
		}
		synctest.Wait()
		requireBusy(t, pl, got, "extra")
		c, err := l.Accept()
		require.NoError(t, err)
		c.Close()
		client := dialClient(t, pl, "good", secret)
		synctest.Wait()
		for range maxHandshakes {
			c, err := l.Accept()
			require.NoError(t, err)
			c.Close()
		}
		require.NoError(t, (<-client).err)
	})
}

// TestListenerEvictsSquatters: once silent connections have held every
// slot, or every slot of one host, for minEvictAge, a peer that
// authenticates is not locked out: the oldest silent one is closed to
// make room for it.
func TestListenerEvictsSquatters(t *testing.T) {
	for _, tc := range []struct {
		name    string
		squat   int
		host    string
		newcome string
	}{
		{"all slots", maxHandshakes, "stranger-%d:1", "worker:1"},
		{"one host's slots", maxHandshakesPerHost, "shared:%d", "shared:9999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				secret := testSecret("shared")
				pl := newPipeListener()
				refused, got := refusals(maxHandshakes + 2)
				l := NewListener(pl, secret, testTimeout, refused)
				defer l.Close()
				var squatters []net.Conn
				for i := range tc.squat {
					c := pl.dial(t, fmt.Sprintf(tc.host, i))
					defer c.Close()
					squatters = append(squatters, c)
					synctest.Wait()
				}
				requireAccepted(t, l, pl, tc.newcome, secret)
				r := <-got
				require.Equal(t, fmt.Sprintf(tc.host, 0), r.remote, "got another squatter evicted than the oldest")
				require.ErrorIs(t, r.err, ErrBusy)
				// The oldest squatter was closed; the next ones were not.
				_, err := io.ReadAll(squatters[0])
				require.NoError(t, err, "got the evicted squatter open")
				require.Empty(t, got, "got more than one squatter evicted")
			})
		})
	}
}

// TestListenerDropsQuietPeersSoon: a peer that reads the hello and says
// nothing is dropped after quietTimeout, not the whole handshake timeout;
// one that started its proof has the whole timeout.
func TestListenerDropsQuietPeersSoon(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pl := newPipeListener()
		refused, got := refusals(2)
		l := NewListener(pl, testSecret("shared"), testTimeout, refused)
		defer l.Close()
		start := time.Now()
		quiet := pl.dial(t, "quiet")
		defer quiet.Close()
		go io.Copy(io.Discard, quiet)
		r := <-got
		require.Equal(t, "quiet", r.remote)
		require.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
		require.Equal(t, quietTimeout, time.Since(start))

		start = time.Now()
		slow := pl.dial(t, "slow")
		defer slow.Close()
		go io.Copy(io.Discard, slow)
		_, err := slow.Write([]byte(magic))
		require.NoError(t, err)
		r = <-got
		require.Equal(t, "slow", r.remote)
		require.ErrorIs(t, r.err, os.ErrDeadlineExceeded)
		require.Equal(t, testTimeout, time.Since(start))
	})
}

// TestListenerRetriesTemporaryAcceptErrors: running out of file
// descriptors for a while does not end serving.
func TestListenerRetriesTemporaryAcceptErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret("shared")
		pl := newPipeListener()
		emfile := &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
		fl := &flakyListener{Listener: pl, fails: 20, err: emfile}
		l := NewListener(fl, secret, testTimeout, nil)
		defer l.Close()
		requireAccepted(t, l, pl, "good", secret)
	})
}

// flakyListener fails its first fails Accepts with err.
type flakyListener struct {
	net.Listener
	mu    sync.Mutex
	fails int
	err   error
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if l.fails > 0 {
		l.fails--
		l.mu.Unlock()
		return nil, l.err
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// TestListenerClose: Close does not wait for handshakes in progress, and
// leaves no goroutine behind (synctest.Test fails if one is left blocked).
func TestListenerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret("shared")
		pl := newPipeListener()
		refused, got := refusals(10)
		l := NewListener(pl, secret, testTimeout, refused)

		silent := pl.dial(t, "silent")
		defer silent.Close()
		// An authenticated connection that nobody accepts.
		waiting := <-dialClient(t, pl, "waiting", secret)
		require.NoError(t, waiting.err)
		synctest.Wait()

		start := time.Now()
		require.NoError(t, l.Close())
		require.Zero(t, time.Since(start), "got Close waiting for a handshake")
		_, err := l.Accept()
		require.ErrorIs(t, err, net.ErrClosed)
		require.NoError(t, l.Close(), "got an error closing twice")

		_, err = waiting.conn.Read(make([]byte, 1))
		require.Equal(t, io.EOF, err, "got the waiting connection open after Close")
		_, err = silent.Read(make([]byte, 1))
		require.Equal(t, io.EOF, err, "got the silent connection open after Close")
		require.Empty(t, got, "got refusals for handshakes Close aborted")
	})
}

// failingListener fails every Accept with err.
type failingListener struct{ err error }

func (l failingListener) Accept() (net.Conn, error) { return nil, l.err }
func (l failingListener) Close() error              { return nil }
func (l failingListener) Addr() net.Addr            { return fakeAddr("failing") }

func TestListenerInnerError(t *testing.T) {
	errInner := errors.New("too many open files")
	l := NewListener(failingListener{errInner}, testSecret("shared"), testTimeout, nil)
	_, err := l.Accept()
	require.ErrorIs(t, err, errInner)
	require.NoError(t, l.Close())
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
}

func TestListenerZeroSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		pl := newPipeListener()
		refused, got := refusals(1)
		l := NewListener(pl, Secret{}, testTimeout, refused)
		defer l.Close()
		c := <-dialClient(t, pl, "client", testSecret("shared"))
		require.Error(t, c.err)
		r := <-got
		require.ErrorIs(t, r.err, ErrNoSecret)
	})
}

// TestListenerTCP runs a listener on loopback TCP: a good client is
// accepted, a bad one refused under its own address.
func TestListenerTCP(t *testing.T) {
	secret := testSecret("shared")
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	refused, got := refusals(1)
	l := NewListener(inner, secret, testTimeout, refused)
	require.Equal(t, inner.Addr(), l.Addr())

	bad, err := net.Dial("tcp", inner.Addr().String())
	require.NoError(t, err)
	_, err = Client(bad, testSecret("other"), testTimeout)
	require.ErrorIs(t, noteErr(err), ErrSecretRefused)
	r := <-got
	require.Equal(t, bad.LocalAddr().String(), r.remote)
	require.ErrorIs(t, r.err, ErrPeerUnproven)

	raw, err := net.Dial("tcp", inner.Addr().String())
	require.NoError(t, err)
	cli, err := Client(raw, secret, testTimeout)
	require.NoError(t, err)
	defer cli.Close()
	srv, err := l.Accept()
	require.NoError(t, err)
	defer srv.Close()
	require.Equal(t, cli.LocalAddr().String(), srv.RemoteAddr().String())
	go cli.Write([]byte("ping"))
	buf := make([]byte, 4)
	_, err = io.ReadFull(srv, buf)
	require.NoError(t, err)
	require.Equal(t, "ping", string(buf))

	require.NoError(t, l.Close())
	_, err = l.Accept()
	require.ErrorIs(t, err, net.ErrClosed)
	_, err = net.Dial("tcp", inner.Addr().String())
	require.Error(t, err, "got the inner listener open after Close")
}
