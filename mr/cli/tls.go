package cli

import (
	"flag"
	"fmt"

	"6.5840/mr/tlsconf"
	"6.5840/mr/transport"
)

// TLSFlags defines -tls-cert, -tls-key and -tls-ca on fs and returns the
// files they name once fs is parsed.
func TLSFlags(fs *flag.FlagSet) *tlsconf.Files {
	var f tlsconf.Files
	fs.StringVar(&f.Cert, "tls-cert", "", "this machine's TLS certificate, PEM, naming its address; with -tls-key and -tls-ca it encrypts all traffic (-addr tcp:... only)")
	fs.StringVar(&f.Key, "tls-key", "", "the private key of -tls-cert, PEM, mode 0600")
	fs.StringVar(&f.CA, "tls-ca", "", "the certificate authority, PEM, that signs every machine's -tls-cert")
	return &f
}

// TLS loads the files of the TLS flags for a program at addr: nil if none
// is set. TLS needs a TCP address. Errors name the flag or the file.
func TLS(addr transport.Addr, f tlsconf.Files) (*tlsconf.Config, error) {
	if !f.IsZero() && addr.Network != "tcp" {
		return nil, fmt.Errorf("-addr %s: %w", addr, transport.ErrTLSNeedsTCP)
	}
	return tlsconf.Load(f)
}
