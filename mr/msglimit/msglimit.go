// Package msglimit bounds the gob messages a server reads from a
// connection: gob itself accepts a length prefix of up to 8 GiB and
// allocates it before reading a byte of the message, so a peer could make
// a server allocate gigabytes with a few bytes. The reader from NewReader
// checks every length prefix as the bytes pass through, unchanged.
package msglimit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge is returned (wrapped) by a reader from NewReader
// when a message's length prefix exceeds the limit.
var ErrTooLarge = errors.New("gob message too large")

// gob's wire format: a stream of messages, each preceded by its length as
// an unsigned integer. An unsigned integer below 0x80 is one byte;
// otherwise a byte holding the negated count of the big-endian bytes
// that follow (at most 8).
const (
	gobSmallUint    = 0x80
	maxUintBytes    = 8
	maxPrefixLength = 1 + maxUintBytes
)

// NewReader returns a reader that passes r's bytes through unchanged
// while checking the length prefix of every gob message in them: a
// message longer than max ends the stream with ErrTooLarge before
// a decoder reading from it can allocate for it. It reads r through a
// buffer of its own, and is an io.ByteReader, so that a gob.Decoder
// adds no buffer of its own: a message costs one read of r, not one for
// each part of its length prefix and one for its body.
func NewReader(r io.Reader, max uint64) io.Reader {
	return &messageLimiter{r: bufio.NewReaderSize(r, readBufferSize), max: max}
}

// readBufferSize is the limiter's buffer: a request or two of the
// protocol's.
const readBufferSize = 4 << 10

// messageLimiter is NewReader's reader.
type messageLimiter struct {
	r   *bufio.Reader
	max uint64
	// left is how many bytes of the current message are still to come.
	left uint64
	// prefix holds a length prefix read but not yet handed on: the
	// unsent part is prefix[sent:n].
	prefix  [maxPrefixLength]byte
	sent, n int
	err     error
}

func (l *messageLimiter) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if l.sent == l.n && l.left == 0 {
		if l.err != nil {
			return 0, l.err
		}
		if l.err = l.readPrefix(); l.err != nil && l.n == 0 {
			return 0, l.err
		}
	}
	if l.sent < l.n {
		k := copy(p, l.prefix[l.sent:l.n])
		l.sent += k
		return k, nil
	}
	if uint64(len(p)) > l.left {
		p = p[:l.left]
	}
	k, err := l.r.Read(p)
	l.left -= uint64(k)
	if errors.Is(err, io.EOF) && l.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return k, err
}

// ReadByte makes the limiter an io.ByteReader, which gob reads without a
// buffer of its own.
func (l *messageLimiter) ReadByte() (byte, error) {
	var b [1]byte
	for {
		n, err := l.Read(b[:])
		if n == 1 {
			return b[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// readPrefix reads the next message's length prefix into l.prefix and
// sets l.left. On an error the bytes read, if any, are still handed on
// before it.
func (l *messageLimiter) readPrefix() error {
	l.sent, l.n = 0, 0
	if _, err := io.ReadFull(l.r, l.prefix[:1]); err != nil {
		return err
	}
	l.n = 1
	first := l.prefix[0]
	if first < gobSmallUint {
		l.left = uint64(first)
		return nil
	}
	count := int(-int8(first))
	if count < 1 || count > maxUintBytes {
		l.n = 0
		return fmt.Errorf("%w: bad length prefix %#x", ErrTooLarge, first)
	}
	k, err := io.ReadFull(l.r, l.prefix[1:1+count])
	l.n += k
	if err != nil {
		return err
	}
	var length uint64
	for _, b := range l.prefix[1 : 1+count] {
		length = length<<8 | uint64(b)
	}
	if length > l.max {
		l.n = 0 // hand on nothing of a message that is refused
		return fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, length, l.max)
	}
	l.left = length
	return nil
}
