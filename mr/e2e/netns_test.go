package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// A lab is a set of "hosts" on one machine: network namespaces, each with
// one veth link to a bridge in a namespace of its own, on a private /24.
// Processes started on a host run in its namespace and in a private mount
// namespace of their own, where a tmpfs covers their local folder, so a
// reducer can get another host's map output only over the network. The
// lab is made by the test and removed, with every process in it, when the
// test ends. It touches no interface outside its namespaces, and its
// traffic stays between their own addresses.
type lab struct {
	t *testing.T
	// id prefixes every namespace and interface name; names stay short,
	// as interface names are at most 15 bytes.
	id     string
	bridge string // the namespace holding the bridge
	subnet string // e.g. "10.77.12", the /24 of the hosts
	hosts  []*host
}

// host is one namespace of a lab.
type host struct {
	lab  *lab
	ns   string
	ip   string
	link string // the host's end of its veth pair
}

// labSubnetBase is the first octet of the labs' private addresses.
const labSubnetBase = 10

// needRoot skips the test unless it runs as root with the tools a lab
// needs.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("SKIP multi-host test: needs root to make network namespaces (run go test as root)")
	}
	for _, tool := range []string{"ip", "unshare", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIP multi-host test: %s not found", tool)
		}
	}
}

// newLab makes n hosts.
func newLab(t *testing.T, n int) *lab {
	needRoot(t)
	var b [3]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	l := &lab{
		t:      t,
		id:     "m" + hex.EncodeToString(b[:2]),
		subnet: fmt.Sprintf("%d.%d.%d", labSubnetBase, 100+b[2]%100, b[0]),
	}
	l.bridge = l.id + "-br"
	t.Cleanup(l.remove)
	l.run("netns", "add", l.bridge)
	l.run("-n", l.bridge, "link", "set", "lo", "up")
	l.run("-n", l.bridge, "link", "add", "br0", "type", "bridge")
	l.run("-n", l.bridge, "link", "set", "br0", "up")
	for i := range n {
		h := &host{lab: l, ns: fmt.Sprintf("%s-h%d", l.id, i), ip: fmt.Sprintf("%s.%d", l.subnet, i+1), link: fmt.Sprintf("%sh%d", l.id, i)}
		port := h.link + "p"
		l.run("netns", "add", h.ns)
		l.run("link", "add", h.link, "netns", h.ns, "type", "veth", "peer", "name", port, "netns", l.bridge)
		l.run("-n", l.bridge, "link", "set", port, "master", "br0")
		l.run("-n", l.bridge, "link", "set", port, "up")
		l.run("-n", h.ns, "link", "set", "lo", "up")
		l.run("-n", h.ns, "addr", "add", h.ip+"/24", "dev", h.link)
		l.run("-n", h.ns, "link", "set", h.link, "up")
		l.hosts = append(l.hosts, h)
	}
	return l
}

// run runs ip with args, failing the test on error.
func (l *lab) run(args ...string) {
	l.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	require.NoError(l.t, err, "ip %s: %s", strings.Join(args, " "), out)
}

// remove kills every process in the lab's namespaces and deletes them.
func (l *lab) remove() {
	for _, ns := range append(l.namespaces(), l.bridge) {
		out, _ := exec.Command("ip", "netns", "pids", ns).Output()
		for _, pid := range strings.Fields(string(out)) {
			var p int
			if _, err := fmt.Sscan(pid, &p); err == nil {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
		exec.Command("ip", "netns", "del", ns).Run()
	}
}

func (l *lab) namespaces() []string {
	var names []string
	for _, h := range l.hosts {
		names = append(names, h.ns)
	}
	return names
}

// setLink takes the host's network link down or up, as a pulled cable
// would: no RST, no FIN, packets just stop.
func (h *host) setLink(up bool) {
	state := "down"
	if up {
		state = "up"
	}
	h.lab.run("-n", h.ns, "link", "set", h.link, state)
}

// start runs a binary from bin on the host, in the job directory, with
// local mounted as a private tmpfs if it is not "". The process is killed
// when the test ends.
func (h *host) start(j *job, name, local string, env []string, args ...string) *proc {
	command := []string{"netns", "exec", h.ns}
	if local != "" {
		require.NoError(j.t, os.MkdirAll(local, 0o700))
		command = append(command, "unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount -t tmpfs -o size=512m,mode=0700 mr-local "$1" && shift && exec "$@"`, "sh", local)
	}
	command = append(command, filepath.Join(bin, name))
	command = append(command, args...)
	return j.run(fmt.Sprintf("%s on %s", name, h.ip), "ip", env, command...)
}
