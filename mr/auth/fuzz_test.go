package auth

import (
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// FuzzServerHandshake plays arbitrary client bytes against a server, which
// must fail, without panicking, within the timeout.
func FuzzServerHandshake(f *testing.F) {
	k := testSecret("shared").Key(PurposeHandshake)
	f.Add([]byte(""), true)
	f.Add([]byte("GET / HTTP/1.1\r\nHost: coordinator\r\n\r\n"), false)
	f.Add([]byte(magic), false)
	f.Add([]byte(magic+strings.Repeat("\x00", nonceSize+macSize)), true)
	f.Add([]byte(magic+strings.Repeat("\x00", nonceSize+macSize)+"frames"), false)
	f.Fuzz(func(t *testing.T, sent []byte, hangUp bool) {
		synctest.Test(t, func(t *testing.T) {
			srvRaw, peer := net.Pipe()
			defer peer.Close()
			go peerScript{string(sent), hangUp}.play(peer)
			start := time.Now()
			c, err := server(srvRaw, k, testTimeout, fixedNs)
			require.Error(t, err, "got a handshake passed without the secret")
			require.Nil(t, c)
			require.LessOrEqual(t, time.Since(start), testTimeout)
		})
	})
}

// FuzzClientHandshake is FuzzServerHandshake for a client that reached
// an arbitrary server.
func FuzzClientHandshake(f *testing.F) {
	k := testSecret("shared").Key(PurposeHandshake)
	hello := magic + strings.Repeat(string(rune(fixedNs)), nonceSize)
	f.Add([]byte(""), true)
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false)
	f.Add([]byte(hello), false)
	f.Add([]byte(hello+"-"), true)
	f.Add([]byte(hello+"+"+strings.Repeat("\x00", macSize)), false)
	f.Fuzz(func(t *testing.T, sent []byte, hangUp bool) {
		synctest.Test(t, func(t *testing.T) {
			cliRaw, peer := net.Pipe()
			defer peer.Close()
			go peerScript{string(sent), hangUp}.play(peer)
			start := time.Now()
			c, err := client(cliRaw, k, testTimeout, fixedNc)
			require.Error(t, err, "got a handshake passed without the secret")
			require.Nil(t, c)
			require.LessOrEqual(t, time.Since(start), testTimeout)
		})
	})
}

// openFrames reads stream as the frames of the client-to-server direction
// under key, independently of the package's reader. It returns the
// payloads of the good frames that start stream, and how stream goes on:
// nil if it ends there, ErrTampered for a bad frame, io.ErrUnexpectedEOF
// for a frame cut short.
func openFrames(key, stream []byte) ([]byte, error) {
	var out []byte
	for seq := uint64(0); len(stream) > 0; seq++ {
		if len(stream) < lengthSize {
			return out, io.ErrUnexpectedEOF
		}
		n := binary.BigEndian.Uint32(stream)
		if n == 0 || n > MaxFrame {
			return out, ErrTampered
		}
		if uint64(len(stream)) < uint64(lengthSize+macSize)+uint64(n) {
			return out, io.ErrUnexpectedEOF
		}
		payload := stream[lengthSize : lengthSize+n]
		in := append([]byte{dirClientToServer}, binary.BigEndian.AppendUint64(nil, seq)...)
		if !hmac.Equal(hmacOf(key, "", in, payload), stream[lengthSize+n:lengthSize+n+macSize]) {
			return out, ErrTampered
		}
		out = append(out, payload...)
		stream = stream[lengthSize+int(n)+macSize:]
	}
	return out, nil
}

// FuzzFrames sends arbitrary bytes, after a real handshake, as the frames
// from client to server: the server must return exactly the payloads of
// the good frames at the start, then the right error.
func FuzzFrames(f *testing.F) {
	c2s, _ := fixedKeys(testSecret("shared").Key(PurposeHandshake))
	// clientStream returns what the client writes, after the handshake,
	// for the payloads.
	clientStream := func(payloads ...string) []byte {
		capture := &captureConn{}
		w := newConn(capture, c2s, dirClientToServer, nil, dirServerToClient)
		for _, p := range payloads {
			w.Write([]byte(p))
		}
		return capture.written.Bytes()
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0})
	f.Add(clientStream("a"))
	f.Add(clientStream("hello", "world", "!"))
	f.Add(clientStream(strings.Repeat("x", 500), strings.Repeat("y", 300)))
	// No seed of MaxFrame bytes or more: minimizing an interesting input
	// that large takes the fuzzer's whole minimization time, during which
	// it runs nothing else. TestReadAhead covers large frames.
	f.Fuzz(func(t *testing.T, stream []byte) {
		synctest.Test(t, func(t *testing.T) {
			cliRaw, srvRaw := net.Pipe()
			defer cliRaw.Close()
			_, srv := fixedShake(t, cliRaw, srvRaw)
			defer srv.Close()
			go func() {
				defer cliRaw.Close()
				if len(stream) > 0 {
					cliRaw.Write(stream)
				}
			}()
			got, err := readAll(srv)
			want, wantErr := openFrames(c2s, stream)
			require.Equal(t, want, got, "got bytes other than the payloads of the good frames")
			switch {
			case wantErr == nil:
				require.Equal(t, io.EOF, err)
			case errors.Is(wantErr, ErrTampered):
				require.ErrorIs(t, err, ErrTampered)
			default:
				require.ErrorIs(t, err, wantErr)
			}
		})
	})
}
