// Package tlstest makes certificate authorities and certificates for
// tests of TLS connections: the files that -tls-ca, -tls-cert and
// -tls-key name.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"6.5840/mr/tlsconf"
)

// validity is how long the certificates are valid, from an hour ago so
// that a clock a little behind still accepts them.
const validity = 24 * time.Hour

// CA is a certificate authority whose files are in a test's temporary
// folder.
type CA struct {
	t    testing.TB
	dir  string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// Path is the CA's certificate file, for -tls-ca.
	Path string
	// serial numbers the certificates it signs.
	serial int64
}

// NewCA makes a CA named name.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	ca := &CA{t: t, dir: t.TempDir(), key: newKey(t)}
	template := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &ca.key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("tlstest: make CA: %v", err)
	}
	if ca.cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatalf("tlstest: parse CA: %v", err)
	}
	ca.Path = filepath.Join(ca.dir, name+"-ca.pem")
	writePEM(t, ca.Path, "CERTIFICATE", der, 0o644)
	ca.serial = 1
	return ca
}

// Issue makes a key and a certificate signed by ca for the given hosts
// (IP addresses or names), usable by both servers and clients, and
// returns the three files.
func (ca *CA) Issue(name string, hosts ...string) tlsconf.Files {
	t := ca.t
	t.Helper()
	key := newKey(t)
	ca.serial++
	template := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			template.IPAddresses = append(template.IPAddresses, ip)
		} else {
			template.DNSNames = append(template.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, template, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("tlstest: issue %s: %v", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("tlstest: marshal key: %v", err)
	}
	files := tlsconf.Files{
		Cert: filepath.Join(ca.dir, name+".pem"),
		Key:  filepath.Join(ca.dir, name+"-key.pem"),
		CA:   ca.Path,
	}
	writePEM(t, files.Cert, "CERTIFICATE", der, 0o644)
	writePEM(t, files.Key, "PRIVATE KEY", keyDER, 0o600)
	return files
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("tlstest: make key: %v", err)
	}
	return key
}

func writePEM(t testing.TB, path, kind string, der []byte, perm os.FileMode) {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), perm); err != nil {
		t.Fatalf("tlstest: %v", err)
	}
}
