package shuffle

import (
	"net/http"
	"time"

	"6.5840/mr/netguard"
)

// Limits of the server NewServer returns. A request is one short line
// and a few headers, so they can be tight.
const (
	// ServerReadHeaderTimeout bounds the time to read a request's headers.
	ServerReadHeaderTimeout = 10 * time.Second
	// ServerIdleTimeout is how long a kept-alive connection may wait for
	// its next request.
	ServerIdleTimeout = 60 * time.Second
	// ServerMaxHeaderBytes bounds a request's headers.
	ServerMaxHeaderBytes = 8 << 10
	// ServerMaxQuiet bounds the connections that are not serving a
	// request (new ones that have not sent one yet, kept-alive ones
	// waiting for their next): past it the oldest is closed. A reducer
	// keeps at most FetcherConfig.Parallel connections to a server.
	ServerMaxQuiet = 64
)

// NewServer returns an http.Server for h with the limits above. It has no
// ReadTimeout, which would stay armed while a reply is written (a request
// has no body: ReadHeaderTimeout covers it), and no WriteTimeout, which
// would cap the size of a section at a given speed: the handler bounds
// each write instead (HandlerConfig.WriteIdleTimeout). At most
// ServerMaxQuiet connections wait without a request in progress, so that
// strangers who connect and say nothing cannot hold file descriptors
// without bound; its Serve, like any http.Server's, backs off and retries
// when Accept fails for a temporary reason.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ServerReadHeaderTimeout,
		IdleTimeout:       ServerIdleTimeout,
		MaxHeaderBytes:    ServerMaxHeaderBytes,
		ConnState:         netguard.NewIdleCap(ServerMaxQuiet, nil).ConnState,
	}
}
