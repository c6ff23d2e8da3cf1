package transport

import (
	"strings"
	"testing"
)

// FuzzParseAddr checks that ParseAddr never panics, that what it accepts
// is written back by String as it was given and parses again to the same
// Addr, and that a "tcp:" address it accepts has a host and a port.
func FuzzParseAddr(f *testing.F) {
	for _, s := range []string{"/tmp/x/mr.sock", "rel.sock", "tcp:127.0.0.1:0", "tcp:[::1]:7000",
		"tcp:host:port", "tcp:", "tcp:nonsense", "tcp::80", "", "tcp", "TCP:1.2.3.4:5", "tcp:[::1", "a\x00b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddr(s)
		if err != nil {
			if a != (Addr{}) {
				t.Fatalf("ParseAddr(%q) = %+v with error %v; want the zero Addr", s, a, err)
			}
			return
		}
		if a.Network != "tcp" && a.Network != "unix" {
			t.Fatalf("ParseAddr(%q) network %q", s, a.Network)
		}
		if a.Address == "" {
			t.Fatalf("ParseAddr(%q) accepted an empty address", s)
		}
		if a.Network == "unix" && strings.HasPrefix(s, tcpPrefix) {
			t.Fatalf("ParseAddr(%q) took a %q address for a socket path", s, tcpPrefix)
		}
		if got := a.String(); got != s {
			t.Fatalf("ParseAddr(%q).String() = %q", s, got)
		}
		b, err := ParseAddr(a.String())
		if err != nil || b != a {
			t.Fatalf("ParseAddr(%q) = %+v, %v; want %+v again", a.String(), b, err, a)
		}
	})
}
