package scale

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/protocol"
)

// buildCoordinator builds mrcoordinator into a temporary folder, or skips
// the test if it cannot.
func buildCoordinator(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("skipping: no go command to build mrcoordinator: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mrcoordinator")
	out, err := exec.Command(goTool, "build", "-o", bin, "6.5840/cmd/mrcoordinator").CombinedOutput()
	if err != nil {
		t.Skipf("skipping: cannot build mrcoordinator: %v\n%s", err, out)
	}
	return bin
}

// smallConfig is the small run of the tests: 8 workers, 200 maps, 4
// reduces, in the test's temporary folder, its coordinator killed in the
// test's cleanup.
func smallConfig(t *testing.T, bin string) Config {
	cfg := DefaultConfig()
	cfg.Coordinator, cfg.Workers, cfg.Maps, cfg.NReduce = bin, 8, 200, 4
	cfg.Dir = t.TempDir()
	cfg.Timeout = time.Minute
	cfg.Progress = func(line string) { t.Log(line) }
	cfg.Started = func(p *os.Process) { t.Cleanup(func() { p.Kill() }) }
	return cfg
}

func TestSmallRunCompletes(t *testing.T) {
	cfg := smallConfig(t, buildCoordinator(t))
	r, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Equal(t, int64(cfg.Maps+cfg.NReduce), r.Committed, "committed attempts")
	require.Zero(t, r.Revoked, "attempts of live workers revoked (V)")
	require.Zero(t, r.FailedWorkers, "failed workers: %v", r.FirstError)
	require.Equal(t, int64(cfg.NReduce), r.LocationsChecked, "reduce replies whose map locations named every map")
	require.Positive(t, r.Wall)
	require.Positive(t, r.CoordinatorRSS)
	require.Equal(t, int64(cfg.Maps+cfg.NReduce), r.HandOuts, "attempts handed out: each task once")
	require.GreaterOrEqual(t, r.HandOut.Count, r.HandOuts, "hand-out calls timed")
	require.True(t, strings.HasPrefix(r.Line(), "scale: 8 workers, 200+4 tasks in "), "line %q", r.Line())
}

func TestDroppedWorkerIsDetected(t *testing.T) {
	cfg := smallConfig(t, buildCoordinator(t))
	cfg.DropWorker, cfg.DropAfter = 3, 5
	// A shorter lease than the default, so that the loss is noticed
	// sooner.
	cfg.ExtraArgs = []string{"-lease", "1s"}
	r, err := Run(context.Background(), cfg)
	require.NoError(t, err)
	require.Equal(t, cfg.DropAfter, r.DroppedTasks, "the dropped worker's attempt in flight and committed maps")
	require.Equal(t, r.DroppedTasks, r.DroppedRerun, "of the dropped worker's tasks, those handed out again")
	require.GreaterOrEqual(t, r.Reruns, int64(r.DroppedTasks))
	require.Zero(t, r.FailedWorkers, "failed workers: %v", r.FirstError)
	require.Zero(t, r.Revoked, "attempts of live workers revoked (V)")
	require.Equal(t, int64(cfg.NReduce), r.LocationsChecked)
}

func TestValidate(t *testing.T) {
	good := DefaultConfig()
	good.Coordinator = "mrcoordinator"
	require.NoError(t, good.Validate())
	for _, tc := range []struct {
		name string
		bad  func(*Config)
		want string
	}{
		{"no binary", func(c *Config) { c.Coordinator = "" }, "no mrcoordinator binary"},
		{"no workers", func(c *Config) { c.Workers = 0 }, "-workers must be at least 1"},
		{"too many workers", func(c *Config) { c.Workers = maxWorkers + 1 }, "-workers must be at most"},
		{"no maps", func(c *Config) { c.Maps = 0 }, "-maps must be at least 1"},
		{"three connections", func(c *Config) { c.Conns = 3 }, "-conns must be 1 or 2"},
		{"drop out of range", func(c *Config) { c.DropWorker = c.Workers + 1 }, "-drop must be between"},
		{"drop at no task", func(c *Config) { c.DropWorker, c.DropAfter = 1, 0 }, "-drop-after must be at least 1"},
		{"negative task time", func(c *Config) { c.TaskTime = -time.Second }, "-task-time must be positive"},
		{"no timeout", func(c *Config) { c.Timeout = 0 }, "-timeout must be positive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.bad(&c)
			err := c.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestFileLimitTooHighFailsNamingTheNeed(t *testing.T) {
	const need = 1 << 40
	err := raiseFileLimit(need)
	require.Error(t, err)
	require.Contains(t, err.Error(), "need 1099511627776 file descriptors")
}

func TestSourceAddrsAreDistinctLoopback(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []int{0, 1, 254, 255, 256, 65535, 65536, 99_999} {
		ip := sourceAddr(i)
		require.True(t, ip.IsLoopback(), "%v", ip)
		require.False(t, seen[ip.String()], "%v twice", ip)
		seen[ip.String()] = true
	}
}

func TestCheckLocations(t *testing.T) {
	servers := []string{"", "127.1.0.1:9", "127.1.0.2:9", ""}
	for _, tc := range []struct {
		name    string
		runs    []protocol.AttemptRun
		pending []int
		err     string
	}{
		{"all located", []protocol.AttemptRun{{Count: 3, Attempt: 1, Server: 1}, {Count: 1, Attempt: 2, Server: 2}}, nil, ""},
		{"pending", []protocol.AttemptRun{{Count: 2, Attempt: 1, Server: 1}, {Count: 2, Attempt: protocol.Pending}}, []int{2, 3}, ""},
		{"shared folder", []protocol.AttemptRun{{Count: 4, Attempt: 1, Server: 0}}, nil, "name no server"},
		{"server without an address", []protocol.AttemptRun{{Count: 4, Attempt: 1, Server: 3}}, nil, "has no address"},
		{"skipped", []protocol.AttemptRun{{Count: 4, Attempt: protocol.NoOutput, Server: 1}}, nil, "have no output"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := protocol.LocationPage{Maps: 4, Servers: servers, TotalServers: len(servers)}
			for _, r := range tc.runs {
				page.Runs = protocol.AppendRun(page.Runs, r.Count, r.Attempt, r.Server)
			}
			noFetch := func(int, int) (protocol.LocationPage, error) {
				return protocol.LocationPage{}, errors.New("the page holds every map task")
			}
			var check locationCheck
			table, err := protocol.GatherLocations(page, noFetch, check.run)
			if err == nil {
				err = check.servers(table)
			}
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.pending, check.pending)
		})
	}
}

func TestHistogramQuantiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	s := h.summary()
	require.Equal(t, int64(1000), s.Count)
	for _, q := range []struct {
		got, want time.Duration
	}{{s.P50, 500 * time.Millisecond}, {s.P99, 990 * time.Millisecond}, {s.P999, 999 * time.Millisecond}} {
		// A bucket is 1/subBuckets of its value wide; its top is returned.
		require.GreaterOrEqual(t, q.got, q.want)
		require.LessOrEqual(t, q.got, q.want+q.want/subBuckets)
	}
	require.Equal(t, Latency{}, new(histogram).summary())
}

func TestBucketTopHoldsItsValues(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 7, 8, 9, 15, 16, 17, 1000, time.Second, time.Hour, 1<<62 + 12345} {
		b := bucketOf(d)
		require.GreaterOrEqual(t, bucketTop(b), d, "bucket %d of %v", b, d)
		if b > 0 {
			require.Less(t, bucketTop(b-1), d, "bucket %d of %v", b, d)
		}
	}
}

func TestRunEndsWhenEveryWorkerIsGone(t *testing.T) {
	cfg := smallConfig(t, buildCoordinator(t))
	cfg.Workers, cfg.DropWorker, cfg.DropAfter = 1, 1, 1
	_, err := Run(context.Background(), cfg)
	require.ErrorContains(t, err, "every simulated worker ended before the job")
}
