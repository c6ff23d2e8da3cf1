package tlsconf_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"6.5840/mr/tlsconf"
	"6.5840/mr/tlsconf/tlstest"
)

// minSecretLen is the shortest key file whose content the fuzz target
// looks for in Load's errors: a shorter one could appear by chance.
const minSecretLen = 16

// FuzzLoad checks that Load, given any contents for the certificate, key
// and CA files, never panics, and refuses what it does not accept with an
// error that names one of the files and holds none of the key.
func FuzzLoad(f *testing.F) {
	ca := tlstest.NewCA(f, "job")
	good := ca.Issue("host", "127.0.0.1")
	other := tlstest.NewCA(f, "other").Issue("stranger", "127.0.0.1")
	read := func(path string) []byte {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	cert, key, caPEM := read(good.Cert), read(good.Key), read(good.CA)
	f.Add(cert, key, caPEM)
	f.Add(read(other.Cert), read(other.Key), caPEM)
	f.Add(cert, read(other.Key), caPEM)
	f.Add(key, cert, caPEM)
	f.Add(cert, key, []byte("hello"))
	f.Add(append(append([]byte{}, cert...), cert...), key, append(append([]byte{}, caPEM...), cert...))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"), key, caPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE-----\n"),
		[]byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), caPEM)
	f.Add(bytes.Replace(cert, []byte("CERTIFICATE"), []byte("PRIVATE KEY"), 2), key, caPEM)
	f.Add([]byte{}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, cert, key, ca []byte) {
		dir := t.TempDir()
		files := tlsconf.Files{
			Cert: filepath.Join(dir, "cert.pem"),
			Key:  filepath.Join(dir, "key.pem"),
			CA:   filepath.Join(dir, "ca.pem"),
		}
		for _, file := range []struct {
			path string
			data []byte
		}{{files.Cert, cert}, {files.Key, key}, {files.CA, ca}} {
			if err := os.WriteFile(file.path, file.data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		c, err := tlsconf.Load(files)
		if err == nil {
			if c == nil {
				t.Fatal("Load accepted the files but returned no Config")
			}
			return
		}
		if c != nil {
			t.Fatalf("Load returned a Config with the error %v", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, files.Cert) && !strings.Contains(msg, files.Key) && !strings.Contains(msg, files.CA) {
			t.Fatalf("Load's error names none of the files: %v", err)
		}
		if len(key) >= minSecretLen && strings.Contains(msg, string(key)) {
			t.Fatalf("Load's error holds the key file's content: %v", err)
		}
	})
}
