// Package s3test starts a real S3-compatible server (versitygw, with
// its POSIX backend) on loopback for tests: on a port the kernel picked,
// in a temporary folder, with a freshly generated key pair and one
// bucket, stopped when the test ends, pass or fail.
//
// The binary is installed by `make s3server` into bin/tools/versitygw
// at the repository's root (or named by $MR_VERSITYGW). When it is
// missing, Start skips the test saying so.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"6.5840/mr/s3"
	"6.5840/mr/s3/sigv4"
)

// Names and limits of the helper.
const (
	// EnvBinary names a versitygw binary to use instead of the installed one.
	EnvBinary = "MR_VERSITYGW"
	// MakeTarget is the make target that installs the binary.
	MakeTarget  = "make s3server"
	installPath = "bin/tools/versitygw"
	// Bucket is the bucket Start creates.
	Bucket        = "mr-test"
	region        = "us-east-1"
	keyBytes      = 16
	portTries     = 5
	readyTimeout  = 30 * time.Second
	readyInterval = 20 * time.Millisecond
)

// Server is a running versitygw.
type Server struct {
	Endpoint    string
	Credentials sigv4.Credentials
	Region      string
	Dir         string // the POSIX backend's root; Dir/BUCKET/KEY is an object
	binary      string
	addr        string
	cmd         *exec.Cmd
	exited      chan struct{}
	t           testing.TB
}

// Binary is the path of the versitygw binary, or "" if there is none.
func Binary() string {
	if p := os.Getenv(EnvBinary); p != "" {
		return p
	}
	dir, err := os.Getwd()
	for err == nil {
		if _, statErr := os.Stat(filepath.Join(dir, "go.mod")); statErr == nil {
			p := filepath.Join(dir, installPath)
			if _, err := os.Stat(p); err == nil {
				return p
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	return ""
}

// Start runs a server with Bucket created, or skips t if the binary is
// missing.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skipf("SKIP: versitygw not installed (run %s, or set %s)", MakeTarget, EnvBinary)
	}
	s := &Server{Credentials: sigv4.Credentials{AccessKeyID: "AKID" + randomHex(t), SecretAccessKey: randomHex(t)},
		Region: region, Dir: t.TempDir(), binary: bin, t: t}
	t.Cleanup(s.Stop)
	var err error
	for range portTries {
		if err = s.startOnFreePort(); err == nil {
			return s
		}
	}
	t.Fatalf("start versitygw: %v", err)
	return nil
}

func randomHex(t testing.TB) string {
	b := make([]byte, keyBytes)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// freePort asks the kernel for a loopback port nobody holds right now.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func (s *Server) startOnFreePort() error {
	addr, err := freePort()
	if err != nil {
		return err
	}
	s.addr = addr
	s.Endpoint = "http://" + addr
	if err := s.launch(); err != nil {
		return err
	}
	// Only this server knows its keys: a bucket created with them proves
	// that what answers on the port is this server, not a process that
	// took the port between freePort and the launch.
	if err := s.Client(s.t).CreateBucket(context.Background(), Bucket); err != nil {
		s.Stop()
		return fmt.Errorf("create bucket %s on %s: %w", Bucket, addr, err)
	}
	return nil
}

// launch starts the process on s.addr and waits until it answers. The
// keys go in the environment, never argv.
func (s *Server) launch() error {
	cmd := exec.Command(s.binary, "--port", s.addr, "--quiet", "posix", s.Dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.Credentials.AccessKeyID, "ROOT_SECRET_KEY="+s.Credentials.SecretAccessKey)
	logFile, err := os.Create(filepath.Join(s.t.TempDir(), "versitygw.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("%s: %w", s.binary, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); logFile.Close(); close(exited) }()
	s.cmd, s.exited = cmd, exited
	if err := s.waitReady(); err != nil {
		s.Stop()
		log, _ := os.ReadFile(logFile.Name())
		return fmt.Errorf("%w; its log: %s", err, log)
	}
	return nil
}

func (s *Server) waitReady() error {
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(readyInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.exited:
			return errors.New("versitygw exited before answering")
		case <-deadline.C:
			return fmt.Errorf("versitygw did not answer on %s within %v", s.addr, readyTimeout)
		case <-tick.C:
			if resp, err := http.Get(s.Endpoint + "/"); err == nil {
				resp.Body.Close()
				return nil
			}
		}
	}
}

// Stop kills the server and waits for it. Safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart starts the server again on the same port and folder.
func (s *Server) Restart() error {
	s.Stop()
	return s.launch()
}

// Config is a client configuration for the server.
func (s *Server) Config() s3.Config {
	return s3.Config{Endpoint: s.Endpoint, Region: s.Region, Credentials: s.Credentials}
}

// Client is a client of the server with the default configuration.
func (s *Server) Client(t testing.TB) *s3.Client {
	t.Helper()
	c, err := s3.New(s.Config())
	if err != nil {
		t.Fatal(err)
	}
	return c
}
