package coordinator

import (
	"encoding/gob"
	"net"
	"net/rpc"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"
)

type echo struct{}

func (echo) Call(args *string, reply *string) error {
	*reply = *args
	return nil
}

func isIdle(p *pendingReplies) bool {
	select {
	case <-p.whenIdle():
		return true
	default:
		return false
	}
}

// TestPendingRepliesLastUntilWritten: a request counts as pending from
// the moment it is read until its reply is written, not merely until its
// handler returns.
func TestPendingRepliesLastUntilWritten(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		server := rpc.NewServer()
		require.NoError(t, server.RegisterName("Echo", echo{}))
		pending := newPendingReplies()
		require.True(t, isIdle(pending))
		client, conn := net.Pipe()
		defer client.Close()
		go server.ServeCodec(newServerCodec(conn, "pipe", pending))

		enc := gob.NewEncoder(client)
		require.NoError(t, enc.Encode(&rpc.Request{ServiceMethod: "Echo.Call", Seq: 7}))
		require.NoError(t, enc.Encode("hello"))
		// The handler has returned; its reply waits for the client to read.
		synctest.Wait()
		require.False(t, isIdle(pending), "a reply not yet written counts as pending")

		dec := gob.NewDecoder(client)
		var resp rpc.Response
		var reply string
		require.NoError(t, dec.Decode(&resp))
		require.NoError(t, dec.Decode(&reply))
		require.Equal(t, uint64(7), resp.Seq)
		require.Equal(t, "hello", reply)
		synctest.Wait()
		require.True(t, isIdle(pending))
	})
}

// TestServerCodecRefusesAHugeRequest: a request whose gob length prefix
// claims gigabytes ends the connection instead of being allocated, and a
// request of a normal size on a fresh connection is still answered.
func TestServerCodecRefusesAHugeRequest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		server := rpc.NewServer()
		require.NoError(t, server.RegisterName("Echo", echo{}))
		pending := newPendingReplies()

		client, conn := net.Pipe()
		served := make(chan struct{})
		go func() { server.ServeCodec(newServerCodec(conn, "pipe", pending)); close(served) }()
		// 0xfc: a length of four bytes follows; 0x01ffffffff is 8 GiB - 1.
		go client.Write([]byte{0xfc, 0x01, 0xff, 0xff, 0xff})
		synctest.Wait()
		select {
		case <-served:
		default:
			t.Fatal("the connection is still served after a request of 8 GiB was announced")
		}
		client.Close()
		require.True(t, isIdle(pending), "a refused request leaves nothing pending")

		client, conn = net.Pipe()
		defer client.Close()
		go server.ServeCodec(newServerCodec(conn, "pipe", pending))
		rc := rpc.NewClient(client)
		var reply string
		require.NoError(t, rc.Call("Echo.Call", "hello", &reply))
		require.Equal(t, "hello", reply)
	})
}
