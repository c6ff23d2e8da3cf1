package shuffle

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
)

// Prefixes that keep the three kinds of MAC apart: no request, reply or
// body MAC can be taken for one of another kind.
const (
	replyPrefix    = "reply\n"
	bodyPrefix     = "body\n"
	notFoundPrefix = "not found\n"
)

// mac returns HMAC-SHA256(key, msg) in lowercase hex.
func mac(key []byte, msg string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(msg))
	return hex.EncodeToString(h.Sum(nil))
}

// signRequest returns the signature of r sent at unixTime.
func signRequest(key []byte, r request, unixTime int64) string {
	return mac(key, r.signed(unixTime))
}

// signReply returns the reply signature for the request signature sig.
func signReply(key []byte, sig string) string {
	return mac(key, replyPrefix+sig)
}

// signNotFound returns the signature of a 404 reply to the request
// signed sig.
func signNotFound(key []byte, sig string) string {
	return mac(key, notFoundPrefix+sig)
}

// newBodyMAC returns a hash that, once fed a section's bytes, sums to the
// MAC that follows them in the reply to the request signed sig.
func newBodyMAC(key []byte, sig string) hash.Hash {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(bodyPrefix + sig))
	return h
}

// equalMAC reports, in time that depends only on the lengths, whether
// got equals want, both hex MACs as sent on the wire.
func equalMAC(got, want string) bool {
	return hmac.Equal([]byte(got), []byte(want))
}
