package streaming

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"wc", []string{"wc"}},
		{"  python3   wc.py  ", []string{"python3", "wc.py"}},
		{`sh -c 'echo a  b | tr a b'`, []string{"sh", "-c", "echo a  b | tr a b"}},
		{`echo "a \"b\" \$x \n" 'it''s'`, []string{"echo", `a "b" $x \n`, "its"}},
		{`a\ b c\\d`, []string{"a b", `c\d`}},
		{`x "" ''`, []string{"x", "", ""}},
		{"a\\\nb", []string{"ab"}},
		{`$HOME *.txt`, []string{"$HOME", "*.txt"}},
	}
	for _, tt := range tests {
		got, err := Split(tt.line)
		require.NoError(t, err, tt.line)
		require.Equal(t, tt.want, got, tt.line)
	}
	for _, bad := range []string{"", "   ", `a 'b`, `a "b`, `a \`, `"a\"`} {
		_, err := Split(bad)
		require.Error(t, err, "%q", bad)
	}
}

// pairsOf parses out with a line bound of max and returns the pairs.
func pairsOf(t *testing.T, out string, max int) ([][2]string, error) {
	t.Helper()
	var got [][2]string
	err := readPairs(strings.NewReader(out), max, func(k, v string) { got = append(got, [2]string{k, v}) })
	return got, err
}

func TestReadPairs(t *testing.T) {
	tests := []struct {
		name, out string
		want      [][2]string
	}{
		{"tab", "a\t1\nb\t2\n", [][2]string{{"a", "1"}, {"b", "2"}}},
		{"first tab only", "a\tx\ty\n", [][2]string{{"a", "x\ty"}}},
		{"no tab", "word\n", [][2]string{{"word", ""}}},
		{"empty value", "k\t\n", [][2]string{{"k", ""}}},
		{"empty key", "\tv\n", [][2]string{{"", "v"}}},
		{"empty line", "\n", [][2]string{{"", ""}}},
		{"no trailing newline", "a\t1\nb\t2", [][2]string{{"a", "1"}, {"b", "2"}}},
		{"crlf", "a\t1\r\nb\r\n", [][2]string{{"a", "1"}, {"b", ""}}},
		{"cr at the end", "a\t1\r", [][2]string{{"a", "1"}}},
		{"other cr kept", "a\rb\tc\rd\n", [][2]string{{"a\rb", "c\rd"}}},
		{"nothing", "", nil},
	}
	for _, tt := range tests {
		got, err := pairsOf(t, tt.out, MaxLine)
		require.NoError(t, err, tt.name)
		require.Equal(t, tt.want, got, tt.name)
	}
}

func TestReadPairsLineBound(t *testing.T) {
	const max = 16
	got, err := pairsOf(t, strings.Repeat("x", max)+"\n", max)
	require.NoError(t, err)
	require.Equal(t, [][2]string{{strings.Repeat("x", max), ""}}, got)

	_, err = pairsOf(t, "ok\n"+strings.Repeat("x", max+1)+"\n", max)
	require.True(t, errors.Is(err, errLineTooLong), "got %v; want errLineTooLong", err)
	require.ErrorContains(t, err, "line 2")

	// Longer than the reader's buffer: gathered below the bound, refused
	// above it, without reading the whole line first.
	big := 3 * pipeBuffer
	got, err = pairsOf(t, "k\t"+strings.Repeat("v", big)+"\nz\n", 4*pipeBuffer)
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Len(t, got[0][1], big)
	_, err = pairsOf(t, strings.Repeat("v", 10*pipeBuffer), 4*pipeBuffer)
	require.True(t, errors.Is(err, errLineTooLong), "got %v; want errLineTooLong", err)
}

func TestParseCounter(t *testing.T) {
	name, n, err := parseCounter("Words,Long,42")
	require.NoError(t, err)
	require.Equal(t, "Words.Long", name)
	require.Equal(t, int64(42), n)
	_, n, err = parseCounter("g,n,-3")
	require.NoError(t, err)
	require.Equal(t, int64(-3), n)
	for _, bad := range []string{"", "g,n", "g,n,1,2", ",n,1", "g,,1", "g,n,x", "g,n,1.5", "g,n,"} {
		_, _, err := parseCounter(bad)
		require.Error(t, err, "%q", bad)
	}
}
