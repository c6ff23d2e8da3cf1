package status

import (
	"crypto/subtle"
	"net"
	"net/http"

	"6.5840/mr/auth"
)

// DebugTokenHeader carries the token that opens the debug pages of a
// status server on a non-loopback address: the hex of the secret's
// auth.PurposeDebug key.
const DebugTokenHeader = "X-MR-Debug-Token"

// DebugAccess returns NewHandler's debugAllowed for a server listening at
// addr: on a loopback address, nil (the debug pages are open); elsewhere,
// a function that allows requests carrying the debug token derived from
// secret, and none without a secret.
func DebugAccess(addr net.Addr, secret auth.Secret) func(*http.Request) bool {
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		return nil
	}
	if secret.IsZero() {
		return func(*http.Request) bool { return false }
	}
	token := []byte(DebugToken(secret))
	return func(r *http.Request) bool {
		return subtle.ConstantTimeCompare([]byte(r.Header.Get(DebugTokenHeader)), token) == 1
	}
}

// DebugToken returns the token, derived from secret, that opens the debug
// pages and the detailed view of a status server on a non-loopback
// address (see DebugTokenHeader).
func DebugToken(secret auth.Secret) string {
	return secret.Token(auth.PurposeDebug)
}

// DetailAccess returns NewGuardedHandler's detailAllowed for a server
// listening at addr: nil (the detailed view for all) on a loopback
// address, where only this machine can connect, or with TLS, where the
// page is encrypted; elsewhere, a function that allows requests from a
// loopback address or carrying the debug token derived from secret (none
// without a secret). The others get the progress view: a page in clear
// on the network shows no hosts, addresses, inputs or error texts.
func DetailAccess(addr net.Addr, secret auth.Secret, tls bool) func(*http.Request) bool {
	if tcp, ok := addr.(*net.TCPAddr); tls || ok && tcp.IP.IsLoopback() {
		return nil
	}
	debug := DebugAccess(addr, secret)
	return func(r *http.Request) bool {
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
				return true
			}
		}
		return debug(r)
	}
}
