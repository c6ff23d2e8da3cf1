// Package tlsconf loads the files of the -tls-cert, -tls-key and -tls-ca
// flags into the TLS configurations of a job's connections: the
// coordinator's RPC port, and each worker's map-output server.
//
// TLS adds encryption to what the shared secret already gives (mutual
// authentication and integrity). Both ends of every connection present a
// certificate signed by the job's CA, and a client checks that the
// server's certificate names the host it dialled, as a browser does: each
// machine's certificate must carry its address or name among its subject
// alternative names.
package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"

	"6.5840/mr/auth"
	"6.5840/mr/filekind"
)

const (
	// maxKeyFileLen bounds the size of a private key file: a PEM key is a
	// few kilobytes at most.
	maxKeyFileLen = 64 << 10
	// maxCertFileLen bounds the size of a certificate or CA file: a
	// bundle of many certificates is well under it.
	maxCertFileLen = 4 << 20
)

// Files names the files of the three flags. All three are set, or none.
type Files struct {
	// Cert is this machine's certificate chain, PEM (-tls-cert).
	Cert string
	// Key is its private key, PEM, readable by its owner only (-tls-key).
	Key string
	// CA is the certificates of the authorities that sign the job's
	// machines, PEM (-tls-ca).
	CA string
}

// IsZero reports whether no file is named: TLS is off.
func (f Files) IsZero() bool { return f == Files{} }

// Config is a loaded set of Files. A nil *Config means no TLS.
type Config struct {
	cert tls.Certificate
	cas  *x509.CertPool
	// certFile names the certificate's file in messages.
	certFile string
}

// ErrIncomplete is returned (wrapped) by Load when some, but not all, of
// the three files are named.
var ErrIncomplete = errors.New("-tls-cert, -tls-key and -tls-ca go together")

// Load reads f's files, or returns nil for zero Files. Its errors name the
// flag and the file; none holds any of the key's content. It refuses a
// key that group or others may read, and a certificate that the CA did
// not sign.
func Load(f Files) (*Config, error) {
	if f.IsZero() {
		return nil, nil
	}
	for _, flag := range []struct{ name, path string }{{"-tls-cert", f.Cert}, {"-tls-key", f.Key}, {"-tls-ca", f.CA}} {
		if flag.path == "" {
			return nil, fmt.Errorf("%w: %s is missing", ErrIncomplete, flag.name)
		}
	}
	certPEM, err := readPublicFile(f.Cert)
	if err != nil {
		return nil, fmt.Errorf("-tls-cert: %w", err)
	}
	keyPEM, err := auth.ReadPrivateFile(f.Key, maxKeyFileLen)
	if err != nil {
		return nil, fmt.Errorf("-tls-key: %w", err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// X509KeyPair's errors describe the PEM blocks, never the key.
		return nil, fmt.Errorf("-tls-cert %s with -tls-key %s: %w", f.Cert, f.Key, err)
	}
	caPEM, err := readPublicFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("-tls-ca: %w", err)
	}
	cas := x509.NewCertPool()
	if !cas.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("-tls-ca %s: no PEM certificate in it", f.CA)
	}
	intermediates := x509.NewCertPool()
	for _, der := range cert.Certificate[1:] {
		if c, err := x509.ParseCertificate(der); err == nil {
			intermediates.AddCert(c)
		}
	}
	opts := x509.VerifyOptions{Roots: cas, Intermediates: intermediates, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	if _, err := cert.Leaf.Verify(opts); err != nil {
		return nil, fmt.Errorf("-tls-cert %s is not signed by -tls-ca %s: %w", f.Cert, f.CA, err)
	}
	return &Config{cert: cert, cas: cas, certFile: f.Cert}, nil
}

// Names returns an error unless the certificate names host (an address
// or a DNS name), as clients that dial host require.
func (c *Config) Names(host string) error {
	if err := c.cert.Leaf.VerifyHostname(host); err != nil {
		return fmt.Errorf("-tls-cert %s does not name %s: %w", c.certFile, host, err)
	}
	return nil
}

// readPublicFile reads a certificate file, refusing what is not a regular
// file (a named pipe would block the read forever) or is too large.
func readPublicFile(path string) ([]byte, error) {
	f, _, err := filekind.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCertFileLen+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(b) > maxCertFileLen {
		return nil, fmt.Errorf("%s holds more than %d bytes", path, maxCertFileLen)
	}
	return b, nil
}

// Server returns the configuration of a server: it presents the
// certificate and requires one signed by the CA from every client.
func (c *Config) Server() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    c.cas,
	}
}

// PageServer returns the configuration of a server that browsers read,
// the status page: it presents the certificate and asks none of clients.
func (c *Config) PageServer() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{c.cert}}
}

// Client returns the configuration of a client of the server at host: it
// presents the certificate and requires the server's to be signed by the
// CA and to name host. An empty host leaves the name to be set by the
// caller (net/http sets it from each request's URL).
func (c *Config) Client(host string) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{c.cert},
		RootCAs:      c.cas,
		ServerName:   host,
	}
}
