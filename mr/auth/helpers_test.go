package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testTimeout is the tests' handshake timeout; in a synctest bubble it
// takes no real time.
const testTimeout = 5 * time.Second

// leaks holds what TestMain checks once every test has run: no error
// message the package produced may show a test secret.
var leaks struct {
	mu sync.Mutex
	// secrets holds the bytes of every test secret, and messages the
	// error messages seen.
	secrets  map[string]bool
	messages map[string]bool
}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if msg := leakedSecret(); msg != "" {
			fmt.Fprintln(os.Stderr, "FAIL:", msg)
			code = 1
		}
	}
	os.Exit(code)
}

// leakedSecret says which error message shows which test secret, or ""
// if none does.
func leakedSecret() string {
	leaks.mu.Lock()
	defer leaks.mu.Unlock()
	for msg := range leaks.messages {
		for s := range leaks.secrets {
			if shows(msg, []byte(s)) {
				return fmt.Sprintf("error message %q shows a test secret", msg)
			}
		}
	}
	return ""
}

// secretWindow is the length of the pieces of a secret that shows looks
// for: long enough that no message holds one by chance.
const secretWindow = 12

// shows reports whether text holds any piece of secret, as is or in
// hexadecimal, base64 or fmt's decimal notation.
func shows(text string, secret []byte) bool {
	if strings.Contains(strings.ToLower(text), hex.EncodeToString(secret[:secretWindow/2])) {
		return true
	}
	forms := []string{
		base64.StdEncoding.EncodeToString(secret)[:secretWindow],
		strings.Trim(fmt.Sprint(secret[:4]), "[]"),
	}
	for i := 0; i+secretWindow <= len(secret); i++ {
		forms = append(forms, string(secret[i:i+secretWindow]))
	}
	for _, f := range forms {
		if strings.Contains(text, f) {
			return true
		}
	}
	return false
}

// TestLeakCheck checks that shows, which TestMain relies on, finds a
// secret shown in any of the ways it looks for, and only then.
func TestLeakCheck(t *testing.T) {
	raw := secretBytes("leak check")
	for _, text := range []string{
		"key " + string(raw),
		"key " + string(raw[20:40]) + "...",
		fmt.Sprintf("key %x", raw),
		fmt.Sprintf("key %X", raw[:8]),
		fmt.Sprintf("key %v", raw),
		fmt.Sprintf("key %d", raw),
		"key " + base64.StdEncoding.EncodeToString(raw),
	} {
		require.True(t, shows(text, raw), "got %q not showing the secret", text)
	}
	require.False(t, shows("key [secret]", raw))
	require.False(t, shows(string(secretBytes("other")), raw))
}

// noteErr records err's message for the leak check, and returns err.
func noteErr(err error) error {
	if err != nil {
		leaks.mu.Lock()
		if leaks.messages == nil {
			leaks.messages = map[string]bool{}
		}
		leaks.messages[err.Error()] = true
		leaks.mu.Unlock()
	}
	return err
}

// secretBytes returns the bytes of the test secret called name, 64
// hexadecimal digits, registered for the leak check.
func secretBytes(name string) []byte {
	sum := sha256.Sum256([]byte("auth test secret: " + name))
	b := []byte(hex.EncodeToString(sum[:]))
	leaks.mu.Lock()
	if leaks.secrets == nil {
		leaks.secrets = map[string]bool{}
	}
	leaks.secrets[string(b)] = true
	leaks.mu.Unlock()
	return b
}

// testSecret returns the test secret called name.
func testSecret(name string) Secret { return newSecret(secretBytes(name)) }

// pairFunc makes a connected pair of raw connections.
type pairFunc func(t testing.TB) (client, server net.Conn)

// transports are the kinds of raw connections the tests run over.
var transports = []struct {
	name string
	pair pairFunc
}{
	{"pipe", pipePair},
	{"tcp", tcpPair},
}

func pipePair(t testing.TB) (client, server net.Conn) {
	client, server = net.Pipe()
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// tcpPair connects over loopback TCP, on a port the system picks.
func tcpPair(t testing.TB) (client, server net.Conn) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	server = <-accepted
	require.NotNil(t, server, "got no accepted connection")
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// outcome is what one side of a handshake returned.
type outcome struct {
	conn net.Conn
	err  error
}

// shake runs Client with cs and Server with ss on the two raw ends, and
// returns what each returned; it records their errors for the leak check.
func shake(cliRaw, srvRaw net.Conn, cs, ss Secret) (cli, srv outcome) {
	done := make(chan outcome, 1)
	go func() {
		c, err := Server(srvRaw, ss, testTimeout)
		done <- outcome{c, noteErr(err)}
	}()
	c, err := Client(cliRaw, cs, testTimeout)
	return outcome{c, noteErr(err)}, <-done
}

// framedPair returns the two ends of a connection authenticated with a
// shared secret.
func framedPair(t testing.TB, pair pairFunc) (cli, srv net.Conn) {
	cliRaw, srvRaw := pair(t)
	c, s := shake(cliRaw, srvRaw, testSecret("shared"), testSecret("shared"))
	require.NoError(t, c.err)
	require.NoError(t, s.err)
	return c.conn, s.conn
}

// constReader reads an endless run of one byte: a fixed nonce.
type constReader byte

func (r constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// Fixed nonces, for tests that need to know a connection's keys.
const (
	fixedNs constReader = 0x5e
	fixedNc constReader = 0xc1
)

// fixedKeys returns the client-to-server and server-to-client keys of a
// handshake with key k and the fixed nonces, computed apart from the
// package's own code.
func fixedKeys(k []byte) (c2s, s2c []byte) {
	ns, nc := make([]byte, nonceSize), make([]byte, nonceSize)
	fixedNs.Read(ns)
	fixedNc.Read(nc)
	return hmacOf(k, "client to server", ns, nc), hmacOf(k, "server to client", ns, nc)
}

// hmacOf returns HMAC-SHA256(k, label parts...).
func hmacOf(k []byte, label string, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(label))
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

// fixedShake authenticates the raw ends with the fixed nonces and the
// shared test secret.
func fixedShake(t testing.TB, cliRaw, srvRaw net.Conn) (cli, srv net.Conn) {
	k := testSecret("shared").Key(PurposeHandshake)
	done := make(chan outcome, 1)
	go func() {
		c, err := server(srvRaw, k, testTimeout, fixedNs)
		done <- outcome{c, noteErr(err)}
	}()
	cli, err := client(cliRaw, k, testTimeout, fixedNc)
	require.NoError(t, noteErr(err))
	s := <-done
	require.NoError(t, s.err)
	return cli, s.conn
}

// readAll reads r until an error, which it returns, io.EOF included.
func readAll(r io.Reader) ([]byte, error) {
	var out []byte
	buf := make([]byte, 1000)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

// fakeAddr is a named address.
type fakeAddr string

func (a fakeAddr) Network() string { return "fake" }
func (a fakeAddr) String() string  { return string(a) }

// scriptConn is a net.Conn that reads from r, discards what is written
// to it and ignores deadlines.
type scriptConn struct {
	r io.Reader
	// closed is set by Close.
	closed bool
}

func (c *scriptConn) Read(p []byte) (int, error)        { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)       { return len(p), nil }
func (c *scriptConn) Close() error                      { c.closed = true; return nil }
func (c *scriptConn) LocalAddr() net.Addr               { return fakeAddr("local") }
func (c *scriptConn) RemoteAddr() net.Addr              { return fakeAddr("remote") }
func (c *scriptConn) SetDeadline(t time.Time) error     { return nil }
func (c *scriptConn) SetReadDeadline(t time.Time) error { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error  { return nil }

// allocated returns the bytes f allocates, on average over runs calls.
// Tests that call it must not run in parallel with others.
func allocated(runs int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs)
}
