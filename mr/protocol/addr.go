package protocol

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

const (
	// AddrEnv is the environment variable that names the coordinator's
	// address when no -addr flag is given.
	AddrEnv = "MR_ADDR"
	// tcpPrefix marks a TCP address, as in "tcp:host:port"; any other
	// address is a Unix socket path.
	tcpPrefix = "tcp:"
	// defaultSocketName is the socket's name in the per-user directory.
	defaultSocketName = "mr.sock"
	// privateDirMode is the mode of the per-user socket directory.
	privateDirMode = 0o700
	// socketMode is the mode of a Unix socket the coordinator creates.
	socketMode = 0o600
)

// Addr is where the coordinator listens.
type Addr struct {
	Network string // "unix" or "tcp"
	Address string // socket path or host:port
}

// String returns the address in the form ParseAddr accepts.
func (a Addr) String() string {
	if a.Network == "tcp" {
		return tcpPrefix + a.Address
	}
	return a.Address
}

// ParseAddr parses "tcp:host:port" or a Unix socket path.
func ParseAddr(s string) (Addr, error) {
	if s == "" {
		return Addr{}, errors.New("empty address")
	}
	if rest, ok := strings.CutPrefix(s, tcpPrefix); ok {
		if _, _, err := net.SplitHostPort(rest); err != nil {
			return Addr{}, fmt.Errorf("address %q: %w", s, err)
		}
		return Addr{Network: "tcp", Address: rest}, nil
	}
	return Addr{Network: "unix", Address: s}, nil
}

// ResolveAddr picks the coordinator's address: flagValue if set, else
// $MR_ADDR, else a socket in a private per-user directory, which it creates.
func ResolveAddr(flagValue string) (Addr, error) {
	if flagValue != "" {
		return ParseAddr(flagValue)
	}
	if env := os.Getenv(AddrEnv); env != "" {
		a, err := ParseAddr(env)
		if err != nil {
			return Addr{}, fmt.Errorf("$%s: %w", AddrEnv, err)
		}
		return a, nil
	}
	dir, err := privateDir()
	if err != nil {
		return Addr{}, err
	}
	return Addr{Network: "unix", Address: filepath.Join(dir, defaultSocketName)}, nil
}

// privateDir returns $XDG_RUNTIME_DIR/mapreduce, or mapreduce-UID in the
// temp directory, created with mode 0700 and checked to be ours and private.
func privateDir() (string, error) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("mapreduce-%d", os.Getuid()))
	if rt := os.Getenv("XDG_RUNTIME_DIR"); rt != "" {
		dir = filepath.Join(rt, "mapreduce")
	}
	if err := os.MkdirAll(dir, privateDirMode); err != nil {
		return "", fmt.Errorf("create socket directory: %w", err)
	}
	info, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("socket directory: %w", err)
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !info.IsDir() || !ok || int(st.Uid) != os.Getuid() || info.Mode().Perm() != privateDirMode {
		return "", fmt.Errorf("socket directory %s must be a directory owned by you with mode 0700; "+
			"remove it or pass -addr", dir)
	}
	return dir, nil
}
