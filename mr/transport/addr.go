package transport

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

const (
	// AddrEnv is the environment variable that names the coordinator's
	// address when no -addr flag is given.
	AddrEnv = "MR_ADDR"
	// tcpPrefix marks a TCP address, as in "tcp:host:port"; any other
	// address is a Unix socket path.
	tcpPrefix = "tcp:"
	// DefaultDir is the folder of the default socket, the MIT 6.5840
	// lab's: scripts written for the lab look for the socket there.
	DefaultDir = "/var/tmp"
	// defaultSocketPrefix, followed by the user's uid, is the default
	// socket's name in DefaultDir, as in the lab's coordinatorSock().
	defaultSocketPrefix = "5840-mr-"
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
// $MR_ADDR, else the lab's name, /var/tmp/5840-mr-UID (see DefaultDir).
func ResolveAddr(flagValue string) (Addr, error) {
	return resolveAddr(flagValue, DefaultDir)
}

// resolveAddr is ResolveAddr with the default's folder given.
func resolveAddr(flagValue, defaultDir string) (Addr, error) {
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
	return Addr{Network: "unix", Address: filepath.Join(defaultDir, defaultSocketPrefix+strconv.Itoa(os.Getuid()))}, nil
}
