package cli

import (
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/tlsconf"
	"6.5840/mr/tlsconf/tlstest"
	"6.5840/mr/transport"
)

func TestTLSNeedsTCP(t *testing.T) {
	files := tlstest.NewCA(t, "job").Issue("host", "127.0.0.1")
	unix := transport.Addr{Network: "unix", Address: "/tmp/x.sock"}
	tcp := transport.Addr{Network: "tcp", Address: "127.0.0.1:7070"}

	_, err := TLS(unix, files)
	require.ErrorIs(t, err, transport.ErrTLSNeedsTCP)
	require.ErrorContains(t, err, "-addr /tmp/x.sock")
	c, err := TLS(unix, tlsconf.Files{})
	require.NoError(t, err)
	require.Nil(t, c, "no flags, no TLS")
	c, err = TLS(tcp, files)
	require.NoError(t, err)
	require.NotNil(t, c)
}
