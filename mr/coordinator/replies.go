package coordinator

import (
	"bufio"
	"encoding/gob"
	"io"
	"net/rpc"
	"sync"

	"6.5840/mr/msglimit"
	"6.5840/mr/protocol"
)

// pendingReplies counts the requests read whose replies are not yet
// written, so that the coordinator does not exit while the answer to a
// last report (the one that ends the job) is on its way.
type pendingReplies struct {
	// mu guards n and idle, which is closed while n is 0.
	mu   sync.Mutex
	n    int
	idle chan struct{}
}

func newPendingReplies() *pendingReplies {
	idle := make(chan struct{})
	close(idle)
	return &pendingReplies{idle: idle}
}

func (p *pendingReplies) add() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		p.idle = make(chan struct{})
	}
	p.n++
}

func (p *pendingReplies) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n--; p.n == 0 {
		close(p.idle)
	}
}

// whenIdle returns a channel closed once no reply is pending.
func (p *pendingReplies) whenIdle() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idle
}

// serverCodec is net/rpc's gob server codec, on the same wire format,
// refusing a request message over protocol.MaxRequestBytes (which ends
// the connection) and counting each request from the moment its header is
// read until its reply is written (net/rpc answers every request whose header it read).
type serverCodec struct {
	rwc io.ReadWriteCloser
	// peer is the remote address, which every request's header carries
	// to the handlers' logs.
	peer      string
	dec       *gob.Decoder
	enc       *gob.Encoder
	encBuf    *replyBuffer
	pending   *pendingReplies
	closeOnce sync.Once
	closeErr  error
}

func newServerCodec(conn io.ReadWriteCloser, peer string, pending *pendingReplies) *serverCodec {
	buf := &replyBuffer{conn: conn}
	dec := gob.NewDecoder(msglimit.NewReader(conn, protocol.MaxRequestBytes))
	return &serverCodec{rwc: conn, peer: peer, dec: dec, enc: gob.NewEncoder(buf), encBuf: buf, pending: pending}
}

// replyBuffers holds the buffers replyBuffer lends.
var replyBuffers = sync.Pool{New: func() any { return bufio.NewWriter(nil) }}

// replyBuffer makes one reply's messages one write of the connection,
// holding a buffer only while the reply is written: of ten thousand
// connections, most are waiting for a request, not answering one.
type replyBuffer struct {
	conn io.Writer
	// buf is the buffer lent while a reply is written, else nil.
	buf *bufio.Writer
}

func (b *replyBuffer) Write(p []byte) (int, error) {
	if b.buf == nil {
		b.buf = replyBuffers.Get().(*bufio.Writer)
		b.buf.Reset(b.conn)
	}
	return b.buf.Write(p)
}

// Flush writes the reply and gives the buffer back.
func (b *replyBuffer) Flush() error {
	if b.buf == nil {
		return nil
	}
	err := b.buf.Flush()
	b.buf.Reset(nil)
	replyBuffers.Put(b.buf)
	b.buf = nil
	return err
}

// peerSetter is a request that carries a protocol.Header.
type peerSetter interface{ SetPeer(string) }

func (c *serverCodec) ReadRequestHeader(r *rpc.Request) error {
	if err := c.dec.Decode(r); err != nil {
		return err
	}
	c.pending.add()
	return nil
}

func (c *serverCodec) ReadRequestBody(body any) error {
	if err := c.dec.Decode(body); err != nil {
		return err
	}
	if h, ok := body.(peerSetter); ok {
		h.SetPeer(c.peer)
	}
	return nil
}

func (c *serverCodec) WriteResponse(r *rpc.Response, body any) error {
	defer c.pending.done()
	err := c.enc.Encode(r)
	if err == nil {
		err = c.enc.Encode(body)
	}
	if err == nil {
		err = c.encBuf.Flush()
	}
	if err != nil {
		// A reply cut short leaves the stream unusable.
		c.Close()
	}
	return err
}

func (c *serverCodec) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.rwc.Close() })
	return c.closeErr
}
