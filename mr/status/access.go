package status

import (
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"

	"6.5840/mr/auth"
)

// DebugTokenHeader carries the token that opens the debug pages of a
// status server on a non-loopback address: the hex of the secret's
// DebugKeyPurpose key.
const (
	DebugTokenHeader = "X-MR-Debug-Token"
	DebugKeyPurpose  = "debug pages"
)

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
	token := []byte(hex.EncodeToString(secret.Key(DebugKeyPurpose)))
	return func(r *http.Request) bool {
		return subtle.ConstantTimeCompare([]byte(r.Header.Get(DebugTokenHeader)), token) == 1
	}
}
