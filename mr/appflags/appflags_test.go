package appflags

import (
	"errors"
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// parse registers the flags on a new FlagSet and parses args.
func parse(t *testing.T, args ...string) *Flags {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Register(fs)
	require.NoError(t, fs.Parse(args))
	return f
}

func TestLoadCommands(t *testing.T) {
	f := parse(t, "-mapper", "cat", "-reducer", "sort -r")
	require.True(t, f.Streaming())
	a, id, err := f.Load("", nil)
	require.NoError(t, err)
	require.NoError(t, a.Validate())
	require.NotNil(t, a.MapTask)
	require.NotNil(t, a.ReduceTask)
	require.Nil(t, a.CombineTask)
	require.NotEmpty(t, id)

	a, withCombiner, err := parse(t, "-mapper", "cat", "-reducer", "sort -r", "-combiner", "cat").Load("", nil)
	require.NoError(t, err)
	require.NotNil(t, a.CombineTask)
	require.NotEqual(t, id, withCombiner)
}

func TestLoadBadCommands(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-mapper", "no-such-mapper", "-reducer", "cat"}, "-mapper: command \"no-such-mapper\""},
		{[]string{"-mapper", "cat", "-reducer", "/no/such/reducer"}, "-reducer: command \"/no/such/reducer\""},
		{[]string{"-mapper", "cat", "-reducer", "cat", "-combiner", "cat 'x"}, "-combiner: command \"cat 'x\" has an unterminated single quote"},
		{[]string{"-mapper", "cat"}, "-mapper needs -reducer"},
		{[]string{"-reducer", "cat"}, "need -mapper"},
		{[]string{"-combiner", "cat"}, "need -mapper"},
	}
	for _, tt := range tests {
		_, _, err := parse(t, tt.args...).Load("", nil)
		require.True(t, errors.Is(err, ErrBadCommand), "%v: got %v; want ErrBadCommand", tt.args, err)
		require.ErrorContains(t, err, tt.want, "%v", tt.args)
	}
}

func TestLoadPlugin(t *testing.T) {
	f := parse(t)
	require.False(t, f.Streaming())
	_, _, err := f.Load("/no/such/plugin.so", nil)
	require.ErrorContains(t, err, "/no/such/plugin.so")
	require.False(t, errors.Is(err, ErrBadCommand))
}
