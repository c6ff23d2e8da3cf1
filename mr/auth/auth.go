// Package auth authenticates the connections between a coordinator and its
// workers with a secret shared through a file, and then authenticates every
// byte they exchange.
//
// LoadSecret reads the secret, refusing a file others may read. Keys for
// each use are derived from it (Secret.Key, one Purpose per use), so that the RPC handshake and,
// say, signed HTTP requests never share one. Client and Server run the
// handshake on a fresh connection and return it wrapped in frames;
// NewListener runs Server on each accepted connection.
//
// # Handshake
//
// The accepting side (Server) speaks first. Each side draws a fresh 32-byte
// nonce from crypto/rand, Ns for the server and Nc for the client, and
// k = secret.Key("rpc handshake"):
//
//	hello   = magic Ns                      server to client, 8+32 bytes
//	proof   = magic Nc HMAC(k, "client" Ns Nc)
//	                                        client to server, 8+32+32 bytes
//	verdict = '+' HMAC(k, "server" Ns Nc)   server to client, 1+32 bytes
//	        | '-'                           1 byte, then the server closes
//	magic   = "MRAUTH1\n"                   protocol and version
//
// HMAC is HMAC-SHA256, and a label such as "client" is its ASCII bytes.
// The server checks the client's proof in constant time and answers '-'
// if it is wrong; the client then fails with ErrSecretRefused. Otherwise the
// client checks the server's proof, and fails with ErrPeerUnproven if it
// is wrong: the server does not know the secret. Every handshake read has
// a fixed size of at most 64 bytes, and the whole handshake runs under a
// deadline, so a peer that sends garbage (ErrNotAPeer), hangs up
// (io.ErrUnexpectedEOF) or says nothing (os.ErrDeadlineExceeded) costs a
// few hundred bytes for at most the timeout, and never reaches the RPC
// layer.
//
// # Frames
//
// After the handshake each direction is a sequence of frames, one or more
// per Write:
//
//	frame  = length payload tag    4 + n + 32 bytes
//	length = n, big-endian uint32, 1 to MaxFrame
//	tag    = HMAC(key, d seq payload)
//	seq    = big-endian uint64: 0 for the first frame of a direction, then
//	         1, 2, ...
//
// Client to server, key = HMAC(k, "client to server" Ns Nc) and d is the
// byte 'c'; server to client, key = HMAC(k, "server to client" Ns Nc) and
// d is 's'. The sequence number is not sent: both sides count. The reader
// checks a frame's tag, in constant time, before it returns any of its
// payload; a length out of range, refused before anything is read or
// allocated for the frame, or a wrong tag is an error wrapping
// ErrTampered, which closes the connection.
//
// # What it protects against
//
// Without the secret nobody can complete a handshake in either role
// (impersonation), nor inject, alter, drop, reorder, replay or reflect a
// frame within a connection: a tag covers the direction and the position
// of its frame, under keys fresh to the connection. Replaying a recorded
// connection fails at the handshake, since the other side's nonce is new,
// and frames recorded on one connection fail the tags of any other.
//
// It does not hide anything: payloads travel in clear, so an eavesdropper
// reads every RPC; use TLS for confidentiality. Nor does it stop a machine
// on the path from cutting a connection: one cut between frames reads as a
// clean close (io.EOF), and the RPC layer's own framing (gob) notices a
// message cut short. Anyone who learns the secret can pass for either
// side: then replace the file on both.
package auth

import (
	"crypto/sha256"
	"errors"
	"time"
)

const (
	// MaxFrame is the largest payload of a frame, in bytes: a Write of
	// more becomes several frames. A connection's buffers, one each way,
	// grow to hold a frame this large when one comes. At 16 KiB, as for a
	// TLS record, the tag costs little against the payload.
	MaxFrame = 16 << 10
	// DefaultTimeout bounds a handshake when the caller passes a timeout
	// of zero or less.
	DefaultTimeout = 10 * time.Second

	// magic starts the hello and the proof: protocol and version.
	magic = "MRAUTH1\n"
	// nonceSize is the size of each side's nonce.
	nonceSize = 32
	// macSize is the size of an HMAC-SHA256 tag.
	macSize = sha256.Size
	// helloSize and proofSize are the sizes of the server's hello and the
	// client's proof.
	helloSize = len(magic) + nonceSize
	proofSize = len(magic) + nonceSize + macSize
	// statusOK and statusRefused start the server's verdict.
	statusOK      = '+'
	statusRefused = '-'
	// verdictSize is the size of an accepting verdict.
	verdictSize = 1 + macSize

	// Labels of the handshake's HMAC inputs: each is followed by Ns Nc,
	// and no two are equal, so no two inputs are.
	labelClientProof    = "client"
	labelServerProof    = "server"
	labelClientToServer = "client to server"
	labelServerToClient = "server to client"

	// lengthSize is the size of a frame's length.
	lengthSize = 4
	// seqSize is the size of a sequence number in a tag's input.
	seqSize = 8
	// frameOverhead is what a frame adds to its payload.
	frameOverhead = lengthSize + macSize
	// dirClientToServer and dirServerToClient start a tag's input.
	dirClientToServer = 'c'
	dirServerToClient = 's'
)

var (
	// ErrNoSecret is returned (wrapped) by Client and Server, and
	// reported by a listener from NewListener, for the zero Secret.
	ErrNoSecret = errors.New("no secret")
	// ErrNotAPeer is returned (wrapped) for a peer that does not speak
	// this protocol.
	ErrNotAPeer = errors.New("peer does not speak the auth protocol")
	// ErrSecretRefused is returned (wrapped) by Client when the server refused
	// its proof: the two sides do not hold the same secret.
	ErrSecretRefused = errors.New("peer refused our secret (do both sides use the same secret file?)")
	// ErrPeerUnproven is returned (wrapped) when the peer's proof is
	// wrong: it does not know the secret.
	ErrPeerUnproven = errors.New("peer did not prove it knows the secret")
	// ErrTampered is returned (wrapped) by a connection's Read for a
	// frame that fails its tag or has a length out of range: bytes were
	// altered, injected, dropped, replayed or reordered on the way.
	ErrTampered = errors.New("frame failed authentication")
	// ErrBusy is reported (wrapped) by a listener from NewListener for a
	// connection it closed because too many handshakes were in progress.
	ErrBusy = errors.New("too many handshakes in progress")
)
