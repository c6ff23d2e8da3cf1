package sigv4

import "fmt"

// redacted stands in for a secret in anything printed.
const redacted = "[redacted]"

// Credentials are an access key pair and an optional session token.
// Their String, GoString and Format methods never print the secret or
// the token.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String names the access key id and hides the secret and the token.
func (c Credentials) String() string {
	token := ""
	if c.SessionToken != "" {
		token = " session-token=" + redacted
	}
	return fmt.Sprintf("access-key-id=%s secret=%s%s", c.AccessKeyID, redacted, token)
}

// GoString is String, so %#v hides the secret too.
func (c Credentials) GoString() string { return c.String() }

// Format prints String for every verb, so %v, %+v, %#v, %s, %q and %x
// never reveal the secret.
func (c Credentials) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// Valid reports whether both halves of the key pair are set.
func (c Credentials) Valid() bool { return c.AccessKeyID != "" && c.SecretAccessKey != "" }
