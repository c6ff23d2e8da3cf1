package worker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/transport"
)

func TestValidateNamesEveryBadValue(t *testing.T) {
	tcp := transport.Addr{Network: "tcp", Address: "127.0.0.1:9"}
	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	tests := []struct {
		name string
		set  func(*Config)
		want []string // one per bad value; none: valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"no retries", func(c *Config) { c.RetryWindow = 0 }, nil},
		{"served", func(c *Config) { c.Addr, c.Serve, c.LocalDir = tcp, ":7001", t.TempDir() }, nil},
		{"zero sort buffer", func(c *Config) { c.SortBuffer = 0 }, []string{"-sort-buffer must be positive, got 0"}},
		{"zero stuck grace", func(c *Config) { c.StuckGrace = 0 }, []string{"-stuck-grace must be positive, got 0s"}},
		{"negative retry window", func(c *Config) { c.RetryWindow = -time.Second }, []string{"-retry-window must not be negative, got -1s"}},
		{"zero call timeout", func(c *Config) { c.CallTimeout = 0 }, []string{"call timeout must be positive"}},
		{"serve on a socket", func(c *Config) { c.Serve = ":7001" }, []string{"-serve and -local-dir need -addr tcp:HOST:PORT"}},
		{"local dir on a socket", func(c *Config) { c.LocalDir = t.TempDir() }, []string{"-serve and -local-dir need -addr tcp:HOST:PORT"}},
		{"serve without a port", func(c *Config) { c.Addr, c.Serve = tcp, "7001" }, []string{"-serve 7001: want HOST:PORT"}},
		{"local dir a file", func(c *Config) { c.Addr, c.LocalDir = tcp, file }, []string{"-local-dir " + file + ": not a folder"}},
		{"two at once", func(c *Config) { c.SortBuffer, c.StuckGrace = -1, -time.Second },
			[]string{"-sort-buffer must be positive, got -1", "-stuck-grace must be positive, got -1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.set(&cfg)
			err := cfg.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Equal(t, ExitBadConfig, ExitOf(err))
			lines := strings.Split(err.Error(), "\n")
			require.Len(t, lines, len(tt.want), "got %q", err)
			for i, want := range tt.want {
				require.Contains(t, lines[i], want)
			}
			_, err = New(cfg)
			require.Equal(t, ExitBadConfig, ExitOf(err), "New takes a config Validate refuses")
		})
	}
}

// TestExplainSaysWhyTheCoordinatorIsUnreachable: an unreachable
// coordinator is a failure when the worker was cut off mid-attempt or
// never reached it, and the end of a job it worked for otherwise; each
// message says which, and the sentinels stay visible.
func TestExplainSaysWhyTheCoordinatorIsUnreachable(t *testing.T) {
	unreachable := fmt.Errorf("%w: no answer", ErrCoordinatorUnreachable)
	gone := fmt.Errorf("%w: %w", ErrCoordinatorUnreachable, ErrCoordinatorGone)
	tests := []struct {
		name                string
		err                 error
		registered, cutOff  bool
		want                Exit
		wantText, wrapsText string
	}{
		{"cut off", unreachable, true, true, ExitFailed, "cut off from the coordinator at tcp:10.0.0.1:7000", ""},
		{"gone after a cut", gone, true, true, ExitCoordinatorGone, "", ""},
		{"gone after work", unreachable, true, false, ExitCoordinatorGone, "", ""},
		{"never reached", unreachable, false, false, ExitFailed, "no coordinator at tcp:10.0.0.1:7000", "$" + transport.AddrEnv},
		{"wrong secret", fmt.Errorf("x: %w", transport.ErrAuth), false, false, ExitFailed, "cannot authenticate with the coordinator", "-secret-file"},
		{"TLS refused", fmt.Errorf("x: %w", transport.ErrTLS), false, false, ExitFailed, "cannot set up TLS with the coordinator", "-tls-ca"},
		{"job failed", ErrJobFailed, true, false, ExitFailed, ErrJobFailed.Error(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &Worker{cfg: Config{Addr: transport.Addr{Network: "tcp", Address: "10.0.0.1:7000"}}, registered: tt.registered, cutOff: tt.cutOff}
			err := w.explain(tt.err)
			require.Equal(t, tt.want, ExitOf(err))
			require.ErrorIs(t, err, tt.err, "the cause is hidden")
			require.Contains(t, err.Error(), tt.wantText)
			require.Contains(t, err.Error(), tt.wrapsText)
		})
	}
	require.NoError(t, (&Worker{}).explain(nil))
}
