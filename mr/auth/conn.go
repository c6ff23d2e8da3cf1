package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"net"
	"sync"
)

const (
	// frameBufferSize is the size of the buffer that holds a whole frame
	// of MaxFrame bytes.
	frameBufferSize = frameOverhead + MaxFrame
	// smallFrame is the size of a bufio.Writer's buffer, and so of most
	// frames net/rpc's gob codec writes. A connection's read buffer holds
	// a frame that size until a larger one comes.
	smallFrame = 4 << 10
	// smallBufferSize is the size of a new read buffer.
	smallBufferSize = frameOverhead + smallFrame
	// maxEmptyReads is how many reads in a row may return nothing before
	// a read gives up with io.ErrNoProgress, as bufio does.
	maxEmptyReads = 100
)

// conn is a connection whose bytes travel in authenticated frames (see the
// package comment). Methods other than Read and Write are the underlying
// connection's. One Read and one Write may run at once; concurrent Reads
// (or Writes) take turns.
type conn struct {
	net.Conn

	// rmu guards rd, the read side.
	rmu sync.Mutex
	rd  reader

	// wmu guards wr, the write side.
	wmu sync.Mutex
	wr  writer
}

// tagger computes the tags of one direction's frames.
type tagger struct {
	mac hash.Hash
	// in holds the direction and the sequence number of the next frame:
	// the start of a tag's input.
	in [1 + seqSize]byte
	// seq is the sequence number of the next frame.
	seq uint64
}

// reader is the read side of a conn.
type reader struct {
	tagger
	// buf[start:end] holds bytes read and not yet parsed. buf grows to
	// frameBufferSize for the first frame that needs it.
	buf        []byte
	start, end int
	// plain holds the checked payload not yet returned, within buf.
	plain []byte
	// want holds the tag the last frame must have.
	want [macSize]byte
	// err is final: set when a frame fails its check.
	err error
}

// writer is the write side of a conn.
type writer struct {
	tagger
	// buf holds the frame being written; it grows as needed, up to
	// frameBufferSize.
	buf []byte
	// err is final: set when a frame was cut short.
	err error
}

// newConn returns a framed connection over raw, tagging what it writes
// with sendKey and direction sendDir, and checking what it reads with
// recvKey and recvDir.
func newConn(raw net.Conn, sendKey []byte, sendDir byte, recvKey []byte, recvDir byte) *conn {
	c := &conn{Conn: raw}
	c.wr.tagger = newTagger(sendKey, sendDir)
	c.rd.tagger = newTagger(recvKey, recvDir)
	c.rd.buf = make([]byte, smallBufferSize)
	return c
}

func newTagger(key []byte, dir byte) tagger {
	t := tagger{mac: hmac.New(sha256.New, key)}
	t.in[0] = dir
	return t
}

// tag appends to dst the tag of the next frame, whose payload is p.
func (t *tagger) tag(dst, p []byte) []byte {
	binary.BigEndian.PutUint64(t.in[1:], t.seq)
	t.mac.Reset()
	t.mac.Write(t.in[:])
	t.mac.Write(p)
	return t.mac.Sum(dst)
}

// Read reads bytes from checked frames only. A frame that fails its check
// closes the connection, and this and every later Read return an error
// wrapping ErrTampered. A connection that ends inside a frame gives an
// error wrapping io.ErrUnexpectedEOF; one that ends between frames,
// io.EOF. Other errors are the underlying connection's: after a timeout,
// Read may be called again.
func (c *conn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if len(p) == 0 {
		return 0, nil
	}
	for len(c.rd.plain) == 0 {
		if err := c.nextFrameLocked(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.rd.plain)
	c.rd.plain = c.rd.plain[n:]
	return n, nil
}

// nextFrameLocked reads and checks the next frame, leaving its payload in
// rd.plain.
func (c *conn) nextFrameLocked() error {
	r := &c.rd
	if r.err != nil {
		return r.err
	}
	if err := c.fillLocked(lengthSize); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(r.buf[r.start:])
	if n == 0 || n > MaxFrame {
		return c.tamperedLocked(fmt.Sprintf("length %d, not 1 to %d", n, MaxFrame))
	}
	size := frameOverhead + int(n)
	if err := c.fillLocked(size); err != nil {
		return err
	}
	frame := r.buf[r.start : r.start+size]
	payload, tag := frame[lengthSize:lengthSize+n], frame[lengthSize+n:]
	if !hmac.Equal(r.tag(r.want[:0], payload), tag) {
		return c.tamperedLocked("wrong tag: altered, injected, dropped, replayed or reordered")
	}
	r.seq++
	r.start += size
	r.plain = payload
	return nil
}

// fillLocked reads until rd.buf holds n unparsed bytes, n at most
// frameBufferSize, growing the buffer if it is smaller. It keeps what it
// read after an error, so that a Read after a timeout goes on where the
// last one stopped.
func (c *conn) fillLocked(n int) error {
	r := &c.rd
	if r.end-r.start >= n {
		return nil
	}
	if n > len(r.buf) {
		grown := make([]byte, frameBufferSize)
		r.end = copy(grown, r.buf[r.start:r.end])
		r.start = 0
		r.buf = grown
	}
	if r.start+n > len(r.buf) {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	for empty := 0; ; {
		m, err := c.Conn.Read(r.buf[r.end:])
		r.end += m
		switch {
		case r.end-r.start >= n:
			return nil
		case err == io.EOF && r.end == r.start:
			return io.EOF
		case err == io.EOF:
			return fmt.Errorf("auth: read from %s: connection closed inside frame %d: %w",
				c.RemoteAddr(), r.seq, io.ErrUnexpectedEOF)
		case err != nil:
			return err
		case m > 0:
			empty = 0
		default:
			if empty++; empty == maxEmptyReads {
				return io.ErrNoProgress
			}
		}
	}
}

// tamperedLocked makes a failed check final, closes the connection, and
// returns the error; why says what failed.
func (c *conn) tamperedLocked(why string) error {
	c.rd.err = fmt.Errorf("auth: read from %s: %w (frame %d: %s)", c.RemoteAddr(), ErrTampered, c.rd.seq, why)
	c.Conn.Close()
	return c.rd.err
}

// Write writes p as frames of at most MaxFrame bytes, one underlying write
// each. If a frame is cut short, by a timeout or any other error, the
// stream is broken: this and every later Write fail. A timeout before a
// frame's first byte leaves the connection usable.
func (c *conn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	w := &c.wr
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), MaxFrame)]
		frame := binary.BigEndian.AppendUint32(w.buf[:0], uint32(len(chunk)))
		frame = append(frame, chunk...)
		frame = w.tag(frame, chunk)
		w.buf = frame[:0]
		n, err := c.Conn.Write(frame)
		if err == nil && n < len(frame) {
			err = io.ErrShortWrite
		}
		if err != nil && n > 0 {
			w.err = fmt.Errorf("auth: write to %s: frame %d cut after %d of %d bytes: %w",
				c.RemoteAddr(), w.seq, n, len(frame), err)
			err = w.err
		}
		if err != nil {
			return written, err
		}
		w.seq++
		written += len(chunk)
		p = p[len(chunk):]
	}
	return written, nil
}
