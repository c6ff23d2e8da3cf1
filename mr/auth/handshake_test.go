package auth

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/rpc"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// messages returns messages of the given sizes, of bytes drawn from a
// generator seeded with seed.
func messages(seed uint64, sizes []int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, seed))
	out := make([][]byte, len(sizes))
	for i, n := range sizes {
		out[i] = make([]byte, n)
		for j := range out[i] {
			out[i][j] = byte(rng.Uint32())
		}
	}
	return out
}

// TestRoundTrip sends messages of every size both ways at once, each side
// reading while it writes.
func TestRoundTrip(t *testing.T) {
	sizes := []int{1, 100, MaxFrame - 1, MaxFrame, MaxFrame + 1, 10*MaxFrame + 7, 1 << 20}
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cli, srv := framedPair(t, tr.pair)
			directions := []struct {
				name string
				w, r net.Conn
				seed uint64
			}{
				{"client to server", cli, srv, 1},
				{"server to client", srv, cli, 2},
			}
			var wg sync.WaitGroup
			for _, d := range directions {
				msgs := messages(d.seed, sizes)
				wg.Go(func() {
					for _, m := range msgs {
						n, err := d.w.Write(m)
						assert.NoError(t, err, d.name)
						assert.Equal(t, len(m), n, "%s: got %d bytes written; want %d", d.name, n, len(m))
					}
				})
				wg.Go(func() {
					for i, m := range msgs {
						got := make([]byte, len(m))
						_, err := io.ReadFull(d.r, got)
						assert.NoError(t, err, d.name)
						assert.True(t, bytes.Equal(m, got), "%s: got different bytes in message %d (%d bytes)", d.name, i, len(m))
					}
				})
			}
			wg.Wait()
		})
	}
}

func TestWrongSecret(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			cliRaw, srvRaw := tr.pair(t)
			cli, srv := shake(cliRaw, srvRaw, testSecret("A"), testSecret("B"))
			require.ErrorIs(t, cli.err, ErrSecretRefused)
			require.ErrorIs(t, srv.err, ErrPeerUnproven)
			require.Nil(t, cli.conn)
			require.Nil(t, srv.conn)
			_, err := cliRaw.Write([]byte("x"))
			require.Error(t, err, "got the client's raw connection open after a failed handshake")
			_, err = srvRaw.Write([]byte("x"))
			require.Error(t, err, "got the server's raw connection open after a failed handshake")
		})
	}
}

func TestZeroSecretHandshake(t *testing.T) {
	cliRaw, srvRaw := pipePair(t)
	c, err := Client(cliRaw, Secret{}, testTimeout)
	require.ErrorIs(t, noteErr(err), ErrNoSecret)
	require.Nil(t, c)
	s, err := Server(srvRaw, Secret{}, testTimeout)
	require.ErrorIs(t, noteErr(err), ErrNoSecret)
	require.Nil(t, s)
}

// fakeServer plays a server on raw: it sends a hello with nonce ns, reads
// the client's proof, and sends what verdict makes of it.
func fakeServer(raw net.Conn, ns []byte, verdict func(proof []byte) []byte) {
	defer raw.Close()
	if _, err := raw.Write(append([]byte(magic), ns...)); err != nil {
		return
	}
	proof := make([]byte, proofSize)
	if _, err := io.ReadFull(raw, proof); err != nil {
		return
	}
	raw.Write(verdict(proof))
	io.Copy(io.Discard, raw)
}

// TestClientRefusesImpostors: a server that does not know the secret
// cannot pass for one, even by accepting anything.
func TestClientRefusesImpostors(t *testing.T) {
	secret := testSecret("shared")
	other := testSecret("impostor").Key(PurposeHandshake)
	ns := bytes.Repeat([]byte{7}, nonceSize)
	tests := []struct {
		name    string
		verdict func(proof []byte) []byte
	}{
		{"proof with another secret", func(proof []byte) []byte {
			return append([]byte{statusOK}, hmacOf(other, labelServerProof, ns, proof[len(magic):len(magic)+nonceSize])...)
		}},
		{"client's proof reflected", func(proof []byte) []byte {
			return append([]byte{statusOK}, proof[len(magic)+nonceSize:]...)
		}},
		{"zero proof", func([]byte) []byte { return append([]byte{statusOK}, make([]byte, macSize)...) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cliRaw, srvRaw := pipePair(t)
				go fakeServer(srvRaw, ns, tt.verdict)
				c, err := Client(cliRaw, secret, testTimeout)
				require.ErrorIs(t, noteErr(err), ErrPeerUnproven)
				require.Nil(t, c)
			})
		})
	}
}

// recordingConn records what is written to it.
type recordingConn struct {
	net.Conn
	written bytes.Buffer
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.written.Write(p)
	return c.Conn.Write(p)
}

// TestServerRefusesReplayedProof: the proof of a recorded connection is
// worthless in a new one, whose server nonce is fresh.
func TestServerRefusesReplayedProof(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret("shared")
		cliRaw, srvRaw := pipePair(t)
		rec := &recordingConn{Conn: cliRaw}
		cli, srv := shake(rec, srvRaw, secret, secret)
		require.NoError(t, cli.err)
		require.NoError(t, srv.err)
		require.Equal(t, proofSize, rec.written.Len())

		cliRaw, srvRaw = pipePair(t)
		verdict := make(chan []byte, 1)
		go func() {
			defer close(verdict)
			hello := make([]byte, helloSize)
			if _, err := io.ReadFull(cliRaw, hello); err != nil {
				return
			}
			cliRaw.Write(rec.written.Bytes())
			got, _ := io.ReadAll(cliRaw)
			verdict <- got
		}()
		_, err := Server(srvRaw, secret, testTimeout)
		require.ErrorIs(t, noteErr(err), ErrPeerUnproven)
		require.Equal(t, []byte{statusRefused}, <-verdict, "got this verdict, then the server hung up; want a refusal")
	})
}

// TestClientRefusesReplayedVerdict: what a server sent in a recorded
// connection is worthless in a new one, whose client nonce is fresh.
func TestClientRefusesReplayedVerdict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		secret := testSecret("shared")
		cliRaw, srvRaw := pipePair(t)
		rec := &recordingConn{Conn: srvRaw}
		cli, srv := shake(cliRaw, rec, secret, secret)
		require.NoError(t, cli.err)
		require.NoError(t, srv.err)
		sent := rec.written.Bytes()
		require.Len(t, sent, helloSize+verdictSize)

		cliRaw, srvRaw = pipePair(t)
		go fakeServer(srvRaw, sent[len(magic):helloSize], func([]byte) []byte { return sent[helloSize:] })
		c, err := Client(cliRaw, secret, testTimeout)
		require.ErrorIs(t, noteErr(err), ErrPeerUnproven)
		require.Nil(t, c)
	})
}

// hungUp is what an error for a peer that hung up wraps: on a read,
// io.ErrUnexpectedEOF; on a write, the transport's own error.
var hungUp = []error{io.ErrUnexpectedEOF, io.ErrClosedPipe}

// requireErrorIsAny checks that err wraps one of targets.
func requireErrorIsAny(t *testing.T, err error, targets ...error) {
	t.Helper()
	for _, target := range targets {
		if errors.Is(err, target) {
			return
		}
	}
	t.Fatalf("got error %v; want one wrapping one of %v", err, targets)
}

// peerScript is what a fake peer sends, and whether it then hangs up or
// stays silent.
type peerScript struct {
	send   string
	hangUp bool
}

// play runs script on raw, reading and discarding what it is sent.
func (s peerScript) play(raw net.Conn) {
	go io.Copy(io.Discard, raw)
	if s.send != "" {
		raw.Write([]byte(s.send))
	}
	if s.hangUp {
		raw.Close()
	}
}

// TestServerRefusesNonPeers: garbage fails at once, at the magic, and a
// silent peer after the timeout; none gets far.
func TestServerRefusesNonPeers(t *testing.T) {
	tests := []struct {
		name    string
		script  peerScript
		wantErr []error
		// wantWait is how long Server takes to fail.
		wantWait time.Duration
	}{
		{"garbage", peerScript{"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", false}, []error{ErrNotAPeer}, 0},
		{"HTTP request", peerScript{"GET /status HTTP/1.1\r\nHost: coordinator\r\n\r\n", false}, []error{ErrNotAPeer}, 0},
		{"TLS client hello", peerScript{"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", false}, []error{ErrNotAPeer}, 0},
		{"another version", peerScript{"MRAUTH2\n" + strings.Repeat("x", 64), false}, []error{ErrNotAPeer}, 0},
		{"a hello back", peerScript{magic + strings.Repeat("x", nonceSize), false}, []error{os.ErrDeadlineExceeded}, testTimeout},
		{"proof without the secret", peerScript{magic + strings.Repeat("x", nonceSize+macSize), false}, []error{ErrPeerUnproven}, 0},
		{"hang up at once", peerScript{"", true}, hungUp, 0},
		{"hang up in the magic", peerScript{"MRAU", true}, hungUp, 0},
		{"hang up in the proof", peerScript{magic + "0123456789", true}, hungUp, 0},
		{"silent", peerScript{"", false}, []error{os.ErrDeadlineExceeded}, testTimeout},
		{"silent in the magic", peerScript{"MRA", false}, []error{os.ErrDeadlineExceeded}, testTimeout},
		{"silent in the proof", peerScript{magic + "0123456789", false}, []error{os.ErrDeadlineExceeded}, testTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srvRaw, peer := net.Pipe()
				defer peer.Close()
				go tt.script.play(peer)
				start := time.Now()
				c, err := Server(srvRaw, testSecret("shared"), testTimeout)
				requireErrorIsAny(t, noteErr(err), tt.wantErr...)
				require.Nil(t, c)
				require.Equal(t, tt.wantWait, time.Since(start))
			})
		})
	}
}

// TestClientRefusesNonPeers is TestServerRefusesNonPeers for a client
// that reached something other than a server.
func TestClientRefusesNonPeers(t *testing.T) {
	hello := magic + strings.Repeat("n", nonceSize)
	tests := []struct {
		name     string
		script   peerScript
		wantErr  []error
		wantWait time.Duration
	}{
		{"garbage", peerScript{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\xf7", false}, []error{ErrNotAPeer}, 0},
		{"HTTP response", peerScript{"HTTP/1.1 400 Bad Request\r\n\r\n", false}, []error{ErrNotAPeer}, 0},
		{"SSH banner", peerScript{"SSH-2.0-OpenSSH_9.6\r\n", false}, []error{ErrNotAPeer}, 0},
		{"hang up at once", peerScript{"", true}, hungUp, 0},
		{"truncated hello", peerScript{magic + "0123456789", true}, hungUp, 0},
		{"silent", peerScript{"", false}, []error{os.ErrDeadlineExceeded}, testTimeout},
		{"silent in the hello", peerScript{magic + "0123", false}, []error{os.ErrDeadlineExceeded}, testTimeout},
		{"silent after the hello", peerScript{hello, false}, []error{os.ErrDeadlineExceeded}, testTimeout},
		{"hang up after the hello", peerScript{hello, true}, hungUp, 0},
		{"unknown verdict", peerScript{hello + "?", false}, []error{ErrNotAPeer}, 0},
		{"refused", peerScript{hello + "-", true}, []error{ErrSecretRefused}, 0},
		{"truncated verdict", peerScript{hello + "+" + "0123", true}, hungUp, 0},
		{"silent in the verdict", peerScript{hello + "+" + "0123", false}, []error{os.ErrDeadlineExceeded}, testTimeout},
		{"unproven", peerScript{hello + "+" + strings.Repeat("0", macSize), false}, []error{ErrPeerUnproven}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cliRaw, peer := net.Pipe()
				defer peer.Close()
				go tt.script.play(peer)
				start := time.Now()
				c, err := Client(cliRaw, testSecret("shared"), testTimeout)
				requireErrorIsAny(t, noteErr(err), tt.wantErr...)
				require.Nil(t, c)
				require.Equal(t, tt.wantWait, time.Since(start))
			})
		})
	}
}

// TestDeadlineCleared: the handshake's deadline does not outlive it.
func TestDeadlineCleared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cli, srv := framedPair(t, pipePair)
		time.Sleep(2 * testTimeout)
		go cli.Write([]byte("late"))
		got := make([]byte, 4)
		_, err := io.ReadFull(srv, got)
		require.NoError(t, err)
		require.Equal(t, "late", string(got))
	})
}

// TestDefaultTimeout: a timeout of zero means DefaultTimeout, not none.
func TestDefaultTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srvRaw, peer := net.Pipe()
		defer peer.Close()
		start := time.Now()
		_, err := Server(srvRaw, testSecret("shared"), 0)
		require.ErrorIs(t, noteErr(err), os.ErrDeadlineExceeded)
		require.Equal(t, DefaultTimeout, time.Since(start))
	})
}

// maxNonPeerAlloc bounds what a handshake may allocate for a peer that
// fails it before sending a well-formed proof (about 500 bytes, more with
// the race detector).
const maxNonPeerAlloc = 1 << 10

// TestNonPeersCostLittle measures what the server side allocates for a
// peer that fails the handshake, whether it has its key (a listener) or a
// Secret (Server).
func TestNonPeersCostLittle(t *testing.T) {
	secret := testSecret("shared")
	k := secret.Key(PurposeHandshake)
	servers := map[string]func(net.Conn){
		"listener": func(c net.Conn) { server(c, k, testTimeout, fixedNs) },
		"Server":   func(c net.Conn) { Server(c, secret, testTimeout) },
	}
	for name, serve := range servers {
		for _, send := range []string{
			"",
			"GET / HTTP/1.1\r\nHost: coordinator\r\n\r\n",
			"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
			magic + "0123",
		} {
			got := allocated(1000, func() { serve(&scriptConn{r: strings.NewReader(send)}) })
			require.Less(t, got, uint64(maxNonPeerAlloc), "%s: got %d bytes allocated for a peer sending %q; want under %d",
				name, got, send, maxNonPeerAlloc)
		}
	}
}

// Arith is a net/rpc service for TestRPC.
type Arith struct{}

// Args are Arith's arguments.
type Args struct{ A, B int }

// Mul multiplies.
func (Arith) Mul(args Args, reply *int) error {
	*reply = args.A * args.B
	return nil
}

// TestRPC runs net/rpc, concurrent calls included, over an authenticating
// listener on loopback TCP.
func TestRPC(t *testing.T) {
	secret := testSecret("shared")
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := NewListener(inner, secret, testTimeout, func(a net.Addr, err error) { t.Errorf("refused %s: %v", a, err) })
	defer l.Close()
	srv := rpc.NewServer()
	require.NoError(t, srv.Register(Arith{}))
	go srv.Accept(l)

	raw, err := net.Dial("tcp", inner.Addr().String())
	require.NoError(t, err)
	c, err := Client(raw, secret, testTimeout)
	require.NoError(t, err)
	client := rpc.NewClient(c)
	defer client.Close()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			var got int
			assert.NoError(t, client.Call("Arith.Mul", Args{i, 1000}, &got))
			assert.Equal(t, i*1000, got)
		})
	}
	wg.Wait()
}
