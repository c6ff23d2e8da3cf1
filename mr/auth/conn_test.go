package auth

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// splitFrames cuts a well-formed stream into its frames.
func splitFrames(stream []byte) [][]byte {
	var frames [][]byte
	for len(stream) >= lengthSize {
		size := frameOverhead + int(binary.BigEndian.Uint32(stream))
		size = min(size, len(stream))
		frames = append(frames, stream[:size])
		stream = stream[size:]
	}
	return frames
}

// proxy copies the bytes from src to dst: the first skip bytes as they
// are, then the rest, once src is done, through tamper, a frame at a time.
// It closes dst at the end.
func proxy(dst, src net.Conn, skip int, tamper func([][]byte) [][]byte) {
	defer dst.Close()
	if _, err := io.CopyN(dst, src, int64(skip)); err != nil {
		return
	}
	rest, _ := io.ReadAll(src)
	dst.Write(bytes.Join(tamper(splitFrames(rest)), nil))
}

// untouched is a tamper function that changes nothing.
func untouched(frames [][]byte) [][]byte { return frames }

// handshakeFunc authenticates the two raw ends of a connection.
type handshakeFunc func(t testing.TB, cliRaw, srvRaw net.Conn) (cli, srv net.Conn)

// randomShake is a real handshake, with fresh nonces.
func randomShake(t testing.TB, cliRaw, srvRaw net.Conn) (cli, srv net.Conn) {
	c, s := shake(cliRaw, srvRaw, testSecret("shared"), testSecret("shared"))
	require.NoError(t, c.err)
	require.NoError(t, s.err)
	return c.conn, s.conn
}

// tamperedStream authenticates a connection with hs through a proxy, then
// writes each payload in its own Write from one side (the client if
// fromClient), and closes it. The proxy passes the frames of that
// direction through tamper. It returns what the other side read until its
// Read failed, and the error, recorded for the leak check; and checks
// that a side that read a bad frame can no longer write.
func tamperedStream(t *testing.T, hs handshakeFunc, fromClient bool, payloads [][]byte, tamper func([][]byte) [][]byte) ([]byte, error) {
	cliRaw, proxyCli := net.Pipe()
	proxySrv, srvRaw := net.Pipe()
	t.Cleanup(func() {
		for _, c := range []net.Conn{cliRaw, proxyCli, proxySrv, srvRaw} {
			c.Close()
		}
	})
	toServer, toClient := untouched, tamper
	if fromClient {
		toServer, toClient = tamper, untouched
	}
	go proxy(proxySrv, proxyCli, proofSize, toServer)
	go proxy(proxyCli, proxySrv, helloSize+verdictSize, toClient)
	cli, srv := hs(t, cliRaw, srvRaw)
	sender, receiver := srv, cli
	if fromClient {
		sender, receiver = cli, srv
	}
	go func() {
		defer sender.Close()
		for _, p := range payloads {
			if _, err := sender.Write(p); err != nil {
				return
			}
		}
	}()
	got, err := readAll(receiver)
	noteErr(err)
	if err != io.EOF {
		_, werr := receiver.Write([]byte("after"))
		require.Error(t, noteErr(werr), "got a connection that still writes after a bad frame")
	}
	return got, err
}

// flip flips one bit of frame i, at offset at from its start (from its
// end if at < 0).
func flip(i, at int) func([][]byte) [][]byte {
	return func(frames [][]byte) [][]byte {
		f := bytes.Clone(frames[i])
		if at < 0 {
			at += len(f)
		}
		f[at] ^= 1
		frames[i] = f
		return frames
	}
}

// header returns a frame header claiming n bytes, followed by filler.
func header(n uint32) []byte {
	return append(binary.BigEndian.AppendUint32(nil, n), bytes.Repeat([]byte("x"), 100)...)
}

func TestTampering(t *testing.T) {
	payloads := make([][]byte, 5)
	for i := range payloads {
		payloads[i] = fmt.Appendf(nil, "message %d: %s", i, bytes.Repeat([]byte{'a' + byte(i)}, 10*i))
	}
	tests := []struct {
		name   string
		tamper func([][]byte) [][]byte
		// delivered is the number of payloads read before the error.
		delivered int
		wantErr   error
	}{
		{"untouched", untouched, 5, io.EOF},
		{"bit flipped in a payload", flip(2, lengthSize+3), 2, ErrTampered},
		{"bit flipped in a tag", flip(2, -1), 2, ErrTampered},
		{"bit flipped in a length", flip(2, lengthSize-1), 2, ErrTampered},
		{"bit flipped in the first frame", flip(0, lengthSize), 0, ErrTampered},
		{"frame dropped", func(f [][]byte) [][]byte { return slices.Delete(f, 2, 3) }, 2, ErrTampered},
		{"frame replayed", func(f [][]byte) [][]byte { return slices.Insert(f, 2, f[1]) }, 2, ErrTampered},
		{"first frame replayed last", func(f [][]byte) [][]byte { return append(f, f[0]) }, 5, ErrTampered},
		{"frames swapped", func(f [][]byte) [][]byte { f[2], f[3] = f[3], f[2]; return f }, 2, ErrTampered},
		{"frame injected", func(f [][]byte) [][]byte {
			forged := binary.BigEndian.AppendUint32(nil, 5)
			forged = append(forged, "forge"...)
			forged = append(forged, hmacOf([]byte("no key"), "", []byte("forge"))...)
			return slices.Insert(f, 2, forged)
		}, 2, ErrTampered},
		{"length 0", func(f [][]byte) [][]byte { return slices.Insert(f, 2, header(0)) }, 2, ErrTampered},
		{"length over MaxFrame", func(f [][]byte) [][]byte { return slices.Insert(f, 2, header(MaxFrame+1)) }, 2, ErrTampered},
		{"cut inside a frame", func(f [][]byte) [][]byte { f[4] = f[4][:len(f[4])-1]; return f }, 4, io.ErrUnexpectedEOF},
		{"cut inside a length", func(f [][]byte) [][]byte { f[4] = f[4][:lengthSize-1]; return f }, 4, io.ErrUnexpectedEOF},
		// A cut between frames reads as a clean close; the RPC layer's
		// own framing notices a message cut short.
		{"cut between frames", func(f [][]byte) [][]byte { return f[:4] }, 4, io.EOF},
	}
	for _, fromClient := range []bool{true, false} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/from client %t", tt.name, fromClient), func(t *testing.T) {
				got, err := tamperedStream(t, randomShake, fromClient, payloads, tt.tamper)
				if tt.wantErr == io.EOF {
					require.Equal(t, io.EOF, err)
				} else {
					require.ErrorIs(t, err, tt.wantErr)
				}
				want := bytes.Join(payloads[:tt.delivered], nil)
				require.Equal(t, string(want), string(got), "got other bytes than those of the frames before the damage")
			})
		}
	}
}

// TestFramesOfOtherConnections: frames recorded on one connection fail on
// another, and in the other direction of the same keys.
func TestFramesOfOtherConnections(t *testing.T) {
	payloads := [][]byte{[]byte("first"), []byte("second"), []byte("third")}
	var recorded [][]byte
	record := func(frames [][]byte) [][]byte {
		recorded = slices.Clone(frames)
		return frames
	}
	_, err := tamperedStream(t, fixedShake, true, payloads, record)
	require.Equal(t, io.EOF, err)
	require.Len(t, recorded, len(payloads))

	tests := []struct {
		name       string
		hs         handshakeFunc
		fromClient bool
	}{
		// Another connection, with fresh nonces: other keys.
		{"another connection", randomShake, true},
		// The same nonces and so the same keys, but reflected back to the
		// client: the direction differs.
		{"reflected", fixedShake, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replay := func(frames [][]byte) [][]byte {
				return slices.Concat(frames[:1], recorded[1:2], frames[2:])
			}
			got, err := tamperedStream(t, tt.hs, tt.fromClient, payloads, replay)
			require.ErrorIs(t, err, ErrTampered)
			require.Equal(t, "first", string(got))
		})
	}
}

// testKeys are keys for framed connections made without a handshake.
var testKeys = struct{ c2s, s2c []byte }{bytes.Repeat([]byte{1}, macSize), bytes.Repeat([]byte{2}, macSize)}

// keyedPair returns framed connections over the raw ends, with testKeys.
func keyedPair(cliRaw, srvRaw net.Conn) (cli, srv *conn) {
	return newConn(cliRaw, testKeys.c2s, dirClientToServer, testKeys.s2c, dirServerToClient),
		newConn(srvRaw, testKeys.s2c, dirServerToClient, testKeys.c2s, dirClientToServer)
}

// captureConn is a net.Conn that keeps what is written to it.
type captureConn struct {
	scriptConn
	written bytes.Buffer
}

func (c *captureConn) Write(p []byte) (int, error) { return c.written.Write(p) }

// clientFrames returns the frames a client with testKeys writes for the
// payloads, a Write each.
func clientFrames(payloads ...string) []byte {
	capture := &captureConn{}
	c, _ := keyedPair(capture, nil)
	for _, p := range payloads {
		c.Write([]byte(p))
	}
	return capture.written.Bytes()
}

// TestOversizedFrame: a length out of range fails as soon as it is read,
// before the frame's bytes are awaited or anything allocated for them.
func TestOversizedFrame(t *testing.T) {
	const runs = 100
	for _, n := range []uint32{0, MaxFrame + 1, 1 << 31, math.MaxUint32} {
		raws := make([]*scriptConn, runs)
		conns := make([]*conn, runs)
		for i := range conns {
			raws[i] = &scriptConn{r: bytes.NewReader(binary.BigEndian.AppendUint32(nil, n))}
			_, conns[i] = keyedPair(nil, raws[i])
		}
		errs := make([]error, runs)
		buf := make([]byte, 10)
		i := 0
		got := allocated(runs, func() {
			_, errs[i] = conns[i].Read(buf)
			i++
		})
		require.Less(t, got, uint64(1<<10), "got %d bytes allocated for a frame of length %d", got, n)
		for i, err := range errs {
			require.ErrorIs(t, noteErr(err), ErrTampered, "length %d", n)
			require.True(t, raws[i].closed, "got the connection open after length %d", n)
			_, err = conns[i].Read(buf)
			require.ErrorIs(t, err, ErrTampered, "got a second Read that does not fail")
		}
	}
}

// TestDirectionIsTagged: even under one key both ways, a frame sent back
// to its writer fails.
func TestDirectionIsTagged(t *testing.T) {
	key := testKeys.c2s
	capture := &captureConn{}
	w := newConn(capture, key, dirClientToServer, key, dirServerToClient)
	w.Write([]byte("reflected"))
	stream := capture.written.Bytes()
	for _, dir := range []struct {
		name string
		recv byte
		want error
	}{
		{"reflected", dirServerToClient, ErrTampered},
		{"forward", dirClientToServer, io.EOF},
	} {
		r := newConn(&scriptConn{r: bytes.NewReader(stream)}, key, dirServerToClient, key, dir.recv)
		_, err := readAll(r)
		require.ErrorIs(t, noteErr(err), dir.want, dir.name)
	}
}

// TestLargestFrame: a frame of MaxFrame bytes fits, and a Write one byte
// larger takes two.
func TestLargestFrame(t *testing.T) {
	for _, n := range []int{MaxFrame, MaxFrame + 1} {
		stream := clientFrames(string(bytes.Repeat([]byte("m"), n)))
		frames := splitFrames(stream)
		require.Len(t, frames, 1+n/(MaxFrame+1), "got %d frames for %d bytes", len(frames), n)
		_, srv := keyedPair(nil, &scriptConn{r: bytes.NewReader(stream)})
		got, err := readAll(srv)
		require.Equal(t, io.EOF, err)
		require.Len(t, got, n)
	}
}

// TestReadAhead reads frames of many sizes from sources that return as
// much as they can, half that, or a byte at a time, so that frames end
// and start anywhere in the read buffer.
func TestReadAhead(t *testing.T) {
	sizes := []int{1, 5000, MaxFrame, 7, MaxFrame - 3, 9000, MaxFrame, 1, 2, MaxFrame - 1, 12345}
	payloads := messages(4, sizes)
	strs := make([]string, len(payloads))
	for i, p := range payloads {
		strs[i] = string(p)
	}
	stream := clientFrames(strs...)
	want := bytes.Join(payloads, nil)
	for _, src := range []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"halves", iotest.HalfReader},
		{"bytes", iotest.OneByteReader},
		{"with errors", func(r io.Reader) io.Reader { return iotest.DataErrReader(iotest.HalfReader(r)) }},
	} {
		_, srv := keyedPair(nil, &scriptConn{r: src.wrap(bytes.NewReader(stream))})
		got, err := readAll(srv)
		require.Equal(t, io.EOF, err, src.name)
		require.True(t, bytes.Equal(want, got), "%s: got %d different bytes; want %d", src.name, len(got), len(want))
	}
}

// TestReadTimeoutInsideFrame: a Read that times out in the middle of a
// frame loses nothing; the next Read goes on.
func TestReadTimeoutInsideFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cliRaw, srvRaw := net.Pipe()
		defer cliRaw.Close()
		_, srv := keyedPair(cliRaw, srvRaw)
		defer srv.Close()
		frame := clientFrames("a message cut in two")
		half := len(frame) / 2
		go cliRaw.Write(frame[:half])
		require.NoError(t, srv.SetReadDeadline(time.Now().Add(time.Second)))
		buf := make([]byte, 100)
		n, err := srv.Read(buf)
		require.ErrorIs(t, noteErr(err), os.ErrDeadlineExceeded)
		require.Zero(t, n, "got bytes of a frame not yet checked")
		require.NoError(t, srv.SetReadDeadline(time.Time{}))
		go cliRaw.Write(frame[half:])
		n, err = srv.Read(buf)
		require.NoError(t, err)
		require.Equal(t, "a message cut in two", string(buf[:n]))
	})
}

// TestWriteTimeout: a Write that times out before sending anything leaves
// the connection usable; one that cuts a frame breaks it.
func TestWriteTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cliRaw, srvRaw := net.Pipe()
		cli, srv := keyedPair(cliRaw, srvRaw)
		defer cli.Close()
		defer srv.Close()

		require.NoError(t, cli.SetWriteDeadline(time.Now()))
		n, err := cli.Write([]byte("lost"))
		require.ErrorIs(t, noteErr(err), os.ErrDeadlineExceeded)
		require.Zero(t, n)
		require.NoError(t, cli.SetWriteDeadline(time.Time{}))
		go cli.Write([]byte("kept"))
		got := make([]byte, 4)
		_, err = io.ReadFull(srv, got)
		require.NoError(t, err)
		require.Equal(t, "kept", string(got))

		// Read a few bytes of the next frame from the raw end, then stop.
		require.NoError(t, cli.SetWriteDeadline(time.Now().Add(time.Second)))
		go io.ReadFull(srvRaw, make([]byte, 3))
		n, err = cli.Write([]byte("cut"))
		require.ErrorIs(t, noteErr(err), os.ErrDeadlineExceeded)
		require.Zero(t, n)
		require.NoError(t, cli.SetWriteDeadline(time.Time{}))
		_, err = cli.Write([]byte("after the cut"))
		require.ErrorIs(t, noteErr(err), os.ErrDeadlineExceeded, "got a Write after a cut frame that does not fail")
	})
}

// TestConnPassesThrough: addresses, deadlines and Close are the
// underlying connection's.
func TestConnPassesThrough(t *testing.T) {
	cliRaw, srvRaw := tcpPair(t)
	cli, srv := randomShake(t, cliRaw, srvRaw)
	require.Equal(t, cliRaw.LocalAddr(), cli.LocalAddr())
	require.Equal(t, cliRaw.RemoteAddr(), cli.RemoteAddr())
	require.Equal(t, srvRaw.LocalAddr(), srv.LocalAddr())
	require.Equal(t, srvRaw.RemoteAddr(), srv.RemoteAddr())

	require.NoError(t, srv.SetDeadline(time.Now().Add(-time.Second)))
	_, err := srv.Read(make([]byte, 1))
	require.ErrorIs(t, noteErr(err), os.ErrDeadlineExceeded)
	require.NoError(t, srv.SetDeadline(time.Time{}))

	require.NoError(t, cli.Close())
	_, err = cliRaw.Write([]byte("x"))
	require.ErrorIs(t, err, net.ErrClosed, "got the raw connection open after Close")
	_, err = srv.Read(make([]byte, 1))
	require.Equal(t, io.EOF, err)
}

// TestSmallReads reads several frames a byte at a time.
func TestSmallReads(t *testing.T) {
	cli, srv := framedPair(t, pipePair)
	want := bytes.Join(messages(3, []int{10, MaxFrame + 10, 3}), nil)
	go func() {
		defer cli.Close()
		cli.Write(want)
	}()
	got, err := io.ReadAll(iotest.OneByteReader(srv))
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "got %d different bytes; want %d", len(got), len(want))
}

// TestConcurrentWrites: Writes from many goroutines stay whole.
func TestConcurrentWrites(t *testing.T) {
	const writers, writes, size = 8, 50, 300
	cli, srv := framedPair(t, pipePair)
	var wg sync.WaitGroup
	for w := range writers {
		msg := bytes.Repeat([]byte{byte('A' + w)}, size)
		wg.Go(func() {
			for range writes {
				cli.Write(msg)
			}
		})
	}
	counts := map[byte]int{}
	got := make([]byte, size)
	for range writers * writes {
		_, err := io.ReadFull(srv, got)
		require.NoError(t, err)
		require.Equal(t, bytes.Repeat(got[:1], size), got, "got a message mixed with another")
		counts[got[0]]++
	}
	wg.Wait()
	for w := range writers {
		require.Equal(t, writes, counts[byte('A'+w)], "got %d messages from writer %d; want %d", counts[byte('A'+w)], w, writes)
	}
}

// TestEmptyReadsAndWrites: empty calls do nothing.
func TestEmptyReadsAndWrites(t *testing.T) {
	cli, srv := framedPair(t, pipePair)
	n, err := cli.Write(nil)
	require.NoError(t, err)
	require.Zero(t, n)
	n, err = srv.Read(nil)
	require.NoError(t, err)
	require.Zero(t, n)
	go cli.Write([]byte("x"))
	got := make([]byte, 1)
	_, err = io.ReadFull(srv, got)
	require.NoError(t, err)
	require.Equal(t, "x", string(got))
}
