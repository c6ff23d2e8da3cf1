package status

import (
	"crypto/subtle"
	"net"
	"net/http"
)

// DebugTokenHeader carries the token that opens the debug pages and the
// detailed view of a status server on a non-loopback address. The caller
// derives the token from the job's secret (the coordinator uses
// auth.PurposeDebug's key) and passes it in; this package never sees the
// secret.
const DebugTokenHeader = "X-MR-Debug-Token"

// DebugAccess returns NewHandler's debugAllowed for a server listening at
// addr: on a loopback address, nil (the debug pages are open); elsewhere,
// a function that allows requests carrying token, and none if token is
// empty (the job has no secret).
func DebugAccess(addr net.Addr, token string) func(*http.Request) bool {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	if token == "" {
		return func(*http.Request) bool { return false }
	}
	want := []byte(token)
	return func(r *http.Request) bool {
		return subtle.ConstantTimeCompare([]byte(r.Header.Get(DebugTokenHeader)), want) == 1
	}
}

// DetailAccess returns NewGuardedHandler's detailAllowed for a server
// listening at addr: nil (the detailed view for all) on a loopback
// address, where only this machine can connect, or with TLS, where the
// page is encrypted; elsewhere, a function that allows requests from a
// loopback address or carrying token (none if token is empty). The
// others get the progress view: a page in clear on the network shows no
// hosts, addresses, inputs or error texts.
func DetailAccess(addr net.Addr, token string, tls bool) func(*http.Request) bool {
	if tcp, ok := addr.(*net.TCPAddr); tls || ok && tcp.IP.IsLoopback() {
		return nil
	}
	debug := DebugAccess(addr, token)
	return func(r *http.Request) bool {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
				return true
			}
		}
		return debug(r)
	}
}
