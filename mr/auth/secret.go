package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"6.5840/mr/filekind"
)

const (
	// MinSecretLen is the size, in bytes, of the shortest secret file
	// LoadSecret accepts.
	MinSecretLen = 16
	// MaxSecretLen is the size, in bytes, of the longest secret file
	// LoadSecret accepts.
	MaxSecretLen = 4 << 10
	// groupOtherPerm are the permission bits a secret file must not have.
	groupOtherPerm = 0o077
	// redacted and redactedZero are how a Secret and the zero Secret print.
	redacted     = "[secret]"
	redactedZero = "[no secret]"
	// keyPrefix starts the input of every key derived from a secret.
	keyPrefix = "mapreduce key: "
)

// ErrSecretFile is returned (wrapped) by LoadSecret for a file it refuses
// to use.
var ErrSecretFile = errors.New("unusable secret file")

// Secret is a secret shared by the two sides of a connection. It never
// shows its bytes: fmt (with any verb), log/slog, encoding/json and
// encoding.TextMarshaler users print it as "[secret]", or "[no secret]"
// for the zero Secret, which holds none. Its bytes sit behind a function,
// so that printers that reflect over unexported fields (fmt on a struct's
// unexported field, dumpers) show an address, not the bytes.
type Secret struct {
	bytes func() []byte
}

// newSecret returns a Secret holding a copy of b.
func newSecret(b []byte) Secret {
	b = append([]byte(nil), b...)
	return Secret{bytes: func() []byte { return b }}
}

// LoadSecret reads a secret: the whole content of the file at path, byte
// for byte (a trailing newline included). It refuses what ReadPrivateFile
// refuses, and a file shorter than MinSecretLen or longer than
// MaxSecretLen bytes. Its errors name the file, never any of its content;
// refusals wrap ErrSecretFile.
func LoadSecret(path string) (Secret, error) {
	b, err := ReadPrivateFile(path, MaxSecretLen)
	if err != nil {
		return Secret{}, err
	}
	if len(b) < MinSecretLen {
		return Secret{}, fmt.Errorf("%w: %s holds %d bytes; want at least %d", ErrSecretFile, path, len(b), MinSecretLen)
	}
	return newSecret(b), nil
}

// ReadPrivateFile reads a file that holds a secret, such as a shared
// secret or a private key. Like ssh with a private key, it refuses a file
// that group or others may read or write; it refuses too a file that is
// not a regular file, or is longer than maxLen bytes. Its errors name the
// file, never any of its content; refusals wrap ErrSecretFile.
func ReadPrivateFile(path string, maxLen int) ([]byte, error) {
	f, info, err := filekind.OpenRegular(path)
	var notRegular *filekind.NotRegularError
	switch {
	case errors.As(err, &notRegular):
		return nil, fmt.Errorf("%w: %w", ErrSecretFile, err)
	case err != nil:
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	defer f.Close()
	if perm := info.Mode().Perm(); perm&groupOtherPerm != 0 {
		return nil, fmt.Errorf("%w: %s is accessible by group or others (mode %04o); run chmod 600 %s",
			ErrSecretFile, path, uint32(perm), path)
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(maxLen)+1))
	if err != nil {
		return nil, fmt.Errorf("read secret file %s: %w", path, err)
	}
	if len(b) > maxLen {
		return nil, fmt.Errorf("%w: %s holds more than %d bytes", ErrSecretFile, path, maxLen)
	}
	return b, nil
}

// IsZero reports whether s is the zero Secret, which holds no secret.
func (s Secret) IsZero() bool { return s.bytes == nil }

// Key returns a 32-byte key for one purpose: HMAC-SHA256 keyed with the
// secret of "mapreduce key: " followed by purpose. Keys for different
// purposes are independent, and none reveals the secret or another key,
// so each use of the secret (the RPC handshake, signing HTTP requests)
// takes its own (see Purpose). Key panics for the zero Secret.
func (s Secret) Key(purpose Purpose) []byte {
	if s.IsZero() {
		panic("auth: Key of the zero Secret")
	}
	m := hmac.New(sha256.New, s.bytes())
	io.WriteString(m, keyPrefix)
	io.WriteString(m, string(purpose))
	return m.Sum(nil)
}

// String returns "[secret]", or "[no secret]" for the zero Secret.
func (s Secret) String() string {
	if s.IsZero() {
		return redactedZero
	}
	return redacted
}

// GoString returns what String returns, for the %#v verb.
func (s Secret) GoString() string { return s.String() }

// Format prints what String returns, whatever the verb and flags: %x or
// %d must not show the bytes either.
func (s Secret) Format(f fmt.State, verb rune) { io.WriteString(f, s.String()) }

// LogValue implements slog.LogValuer: a Secret logs as what String
// returns.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler with what String returns.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON implements json.Marshaler: a Secret is the JSON string of
// what String returns.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }
