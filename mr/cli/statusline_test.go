package cli

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

func TestStatusLineStaysBelowLogs(t *testing.T) {
	var out bytes.Buffer
	w := NewStatusWriter(&out, true)
	w.SetStatus("maps 1/8")
	_, err := w.Write([]byte("log line\n"))
	require.NoError(t, err)
	w.SetStatus("maps 2/8")
	w.Finish()
	require.Equal(t, clearLine+"maps 1/8"+clearLine+"log line\nmaps 1/8"+clearLine+"maps 2/8\n", out.String())
}

func TestPlainStatusLines(t *testing.T) {
	var out bytes.Buffer
	w := NewStatusWriter(&out, false)
	w.SetStatus("maps 1/8")
	_, err := w.Write([]byte("log line\n"))
	require.NoError(t, err)
	w.Finish()
	require.Equal(t, "maps 1/8\nlog line\n", out.String())
	require.NotContains(t, out.String(), "\033", "no escape codes when not a terminal")
}

func TestShowStatusTicks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out bytes.Buffer
		w := NewStatusWriter(&out, false)
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		done := make(chan struct{})
		go func() {
			w.ShowStatus(ctx, time.Second, func() string { n++; return "tick" })
			close(done)
		}()
		time.Sleep(3500 * time.Millisecond)
		cancel()
		<-done
		require.Equal(t, 4, n, "three ticks and a last line")
		require.Equal(t, 4, strings.Count(out.String(), "tick\n"))
	})
}

func TestNewLogger(t *testing.T) {
	var out bytes.Buffer
	log, err := NewLogger(&out, FormatJSON, false)
	require.NoError(t, err)
	log.Debug("hidden")
	log.Info("shown", "req", "w1-1")
	require.Equal(t, 1, strings.Count(out.String(), "\n"))
	require.Contains(t, out.String(), `"req":"w1-1"`)

	log, err = NewLogger(&out, FormatText, true)
	require.NoError(t, err)
	require.True(t, log.Enabled(context.Background(), slog.LevelDebug))

	_, err = NewLogger(&out, "xml", false)
	require.ErrorContains(t, err, "-log-format")
}
