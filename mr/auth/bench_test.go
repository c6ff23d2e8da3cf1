package auth

import (
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"testing"
)

// BenchmarkFramedConn measures one-way throughput of Writes of a given
// size, framed and, for comparison, raw.
func BenchmarkFramedConn(b *testing.B) {
	for _, tr := range transports {
		for _, size := range []int{64, 1 << 10, 4 << 10, 64 << 10, 1 << 20} {
			for _, framed := range []bool{true, false} {
				kind := "raw"
				if framed {
					kind = "framed"
				}
				b.Run(fmt.Sprintf("%s/%s/%d", tr.name, kind, size), func(b *testing.B) {
					cli, srv := tr.pair(b)
					if framed {
						cli, srv = framedPair(b, func(testing.TB) (net.Conn, net.Conn) { return cli, srv })
					}
					done := make(chan error, 1)
					go func() {
						_, err := io.Copy(io.Discard, srv)
						done <- err
					}()
					msg := make([]byte, size)
					b.SetBytes(int64(size))
					b.ReportAllocs()
					for b.Loop() {
						if _, err := cli.Write(msg); err != nil {
							b.Fatal(err)
						}
					}
					cli.Close()
					if err := <-done; err != nil {
						b.Fatal(err)
					}
				})
			}
		}
	}
}

// BenchmarkHandshake measures a whole handshake, both sides, over
// net.Pipe: Server as a listener runs it, with its key derived once.
func BenchmarkHandshake(b *testing.B) {
	secret := testSecret("shared")
	k := secret.Key(PurposeHandshake)
	b.ReportAllocs()
	for b.Loop() {
		cliRaw, srvRaw := net.Pipe()
		done := make(chan error, 1)
		go func() {
			_, err := server(srvRaw, k, testTimeout, rand.Reader)
			done <- err
		}()
		if _, err := Client(cliRaw, secret, testTimeout); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		cliRaw.Close()
	}
}
