package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/status"
)

const (
	// strangersPerHost is how many idle connections each stranger host
	// holds: the coordinator's handshake slots per host.
	strangersPerHost = 8
	// strangerHosts is how many loopback hosts besides the workers' own
	// hold them: 8 hosts of 8 take the coordinator's 64 slots.
	strangerHosts = 8
	// strangerRedial is how long a stranger waits to connect again after
	// the coordinator closed its connection.
	strangerRedial = 20 * time.Millisecond
	// strangeLease is the job's lease, and reduceSleep how long each
	// worker's first Reduce takes: longer, so that reduces live only by
	// their heartbeats.
	strangeLease = 2 * time.Second
	reduceSleep  = 3 * time.Second
)

// holdIdle keeps an idle connection from local to addr open until ctx
// ends, connecting again whenever the other side closes it.
func holdIdle(ctx context.Context, local, addr string) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	buf := make([]byte, 512)
	for ctx.Err() == nil {
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { conn.Close() })
			for err == nil {
				_, err = conn.Read(buf)
			}
			stop()
			conn.Close()
		}
		select {
		case <-ctx.Done():
		case <-time.After(strangerRedial):
		}
	}
}

// TestTCPStrangersHoldingConnectionsFailNoJob: 8 idle connections from the
// workers' own address and 64 from other loopback addresses, held for the
// whole job and opened again whenever closed, neither keep workers out
// nor starve the heartbeats of reduces that outlast the lease.
func TestTCPStrangersHoldingConnectionsFailNoJob(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	secret := writeSecret(t)
	c := j.coordinator("-addr", "tcp:127.0.0.1:0", "-secret-file", secret, "-nreduce", "2",
		"-lease", strangeLease.String(), "-backup=false")
	addr := j.waitForAddr(c)
	hostPort := strings.TrimPrefix(addr, "tcp:")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	hosts := []string{"127.0.0.1"}
	for h := range strangerHosts {
		hosts = append(hosts, fmt.Sprintf("127.0.0.%d", h+2))
	}
	for _, host := range hosts {
		for range strangersPerHost {
			wg.Go(func() { holdIdle(ctx, host, hostPort) })
		}
	}
	// Let the strangers take every slot before the workers come.
	j.waitFor("the strangers' connections", func() bool {
		return strings.Count(c.log(), "connection refused") > 0
	})

	var workers []*proc
	for range 2 {
		w, _ := j.tcpWorker(addr, secret, "PROBE_REDUCE_SLEEP="+reduceSleep.String())
		workers = append(workers, w)
	}
	require.NoError(t, c.wait(t))
	for _, w := range workers {
		require.NoError(t, w.wait(t))
	}
	require.Equal(t, j.want(), j.output())
	require.NotContains(t, c.log(), "lease", "an attempt lost its lease")
}

const (
	// statusStrangers is how many idle connections strangers hold to the
	// status page: more than its cap of open connections.
	statusStrangers = 200
	// statusConnCap is cmd/mrcoordinator's statusMaxConns: the most
	// connections the status page holds open at once.
	statusConnCap = 64
	// fdSamples is how many times the coordinator's descriptors are
	// counted under the strangers' connections.
	fdSamples = 10
	// statusGetTimeout bounds one request for the status page.
	statusGetTimeout = 5 * time.Second
)

var statusURLRE = regexp.MustCompile(`msg="status page" url=(\S+)`)

// openDescriptors counts the open file descriptors of process pid.
func openDescriptors(t *testing.T, pid int) int {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	return len(fds)
}

// TestStatusPageStrangersHoldingConnectionsTakeNoDescriptors: 200 idle
// connections to the status page, opened again whenever closed, hold no
// more than the page's cap of the coordinator's descriptors; the page
// still answers, and workers still join and finish the job.
func TestStatusPageStrangersHoldingConnectionsTakeNoDescriptors(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	c := j.coordinator("-nreduce", "2", "-http", "127.0.0.1:0")
	var pageURL string
	j.waitFor("the status page's address", func() bool {
		m := statusURLRE.FindStringSubmatch(c.log())
		if m != nil {
			pageURL = strings.Trim(m[1], `"`)
		}
		return m != nil
	})
	u, err := url.Parse(pageURL)
	require.NoError(t, err)
	pid := c.cmd.Process.Pid
	before := openDescriptors(t, pid)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	for range statusStrangers {
		wg.Go(func() { holdIdle(ctx, "127.0.0.1", u.Host) })
	}
	client := &http.Client{Timeout: statusGetTimeout}
	var snap status.Snapshot
	j.waitFor("the status page to answer beside the strangers", func() bool {
		resp, err := client.Get(pageURL + "status.json")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&snap) == nil
	})
	require.Equal(t, len(threeTexts), snap.Maps.Total)
	for range fdSamples {
		held := openDescriptors(t, pid) - before
		require.LessOrEqual(t, held, statusConnCap, "the coordinator holds %d more descriptors under %d idle connections", held, statusStrangers)
		time.Sleep(pollInterval)
	}

	w1, w2 := j.worker(), j.worker()
	require.NoError(t, c.wait(t), c.log())
	require.NoError(t, w1.wait(t))
	require.NoError(t, w2.wait(t))
	require.Equal(t, j.want(), j.output())
}
