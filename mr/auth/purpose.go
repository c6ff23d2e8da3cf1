package auth

import "encoding/hex"

// Purpose names one use of a key derived from the job's secret (see
// Secret.Key). Every use has its own purpose, listed here, so no key
// serves two uses and a key learnt for one (a debug token printed for an
// operator) opens nothing else.
type Purpose string

const (
	// PurposeHandshake keys the handshake of a coordinator's connections
	// and the frames that follow it.
	PurposeHandshake Purpose = "rpc handshake"
	// PurposeShuffle keys the signatures of map output requests between
	// workers (mr/shuffle).
	PurposeShuffle Purpose = "map output"
	// PurposeDebug keys the token that opens a status server's details
	// and debug pages (mr/status).
	PurposeDebug Purpose = "debug pages"
)

// Token returns s's key for purpose in hex, as a header carries it, or ""
// for the zero Secret, which opens nothing.
func (s Secret) Token(purpose Purpose) string {
	if s.IsZero() {
		return ""
	}
	return hex.EncodeToString(s.Key(purpose))
}
