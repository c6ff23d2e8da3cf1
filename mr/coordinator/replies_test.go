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
