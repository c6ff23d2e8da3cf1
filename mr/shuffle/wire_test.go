package shuffle

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in   string
		bits int
		want int64
		ok   bool
	}{
		{"0", indexBits, 0, true},
		{"7", indexBits, 7, true},
		{"2147483647", indexBits, 1<<31 - 1, true},
		{"2147483648", indexBits, 0, false},
		{"9223372036854775807", timeBits, 1<<63 - 1, true},
		{"9223372036854775808", timeBits, 0, false},
		{"", indexBits, 0, false},
		{"00", indexBits, 0, false},
		{"01", indexBits, 0, false},
		{"-1", indexBits, 0, false},
		{"-0", indexBits, 0, false},
		{"+1", indexBits, 0, false},
		{" 1", indexBits, 0, false},
		{"1 ", indexBits, 0, false},
		{"1e3", indexBits, 0, false},
		{"0x10", indexBits, 0, false},
		{"1_000", indexBits, 0, false},
		{"١", indexBits, 0, false},
	}
	for _, tc := range tests {
		got, ok := parseDecimal(tc.in, tc.bits)
		require.Equal(t, tc.ok, ok, "parseDecimal(%q)", tc.in)
		require.Equal(t, tc.want, got, "parseDecimal(%q)", tc.in)
	}
}

func TestQueryRoundTrip(t *testing.T) {
	for _, job := range []string{"job-7", "a b", "a&map=1", "x=y", "%41", "ü/é?#", "+", ";"} {
		r := request{job: job, mapTask: 1<<31 - 1, attempt: 0, reduce: 12}
		got, err := parseQuery(r.query())
		require.NoError(t, err, "job %q: query %q", job, r.query())
		require.Equal(t, r, got)
	}
}

func TestSignaturesDiffer(t *testing.T) {
	// Each part of a request changes its signature, and the three kinds
	// of MAC never coincide.
	base := request{job: testJob, mapTask: 1, attempt: 2, reduce: 3}
	sig := signRequest(testKey, base, 100)
	others := []string{
		signRequest(testKey, request{job: "job-8", mapTask: 1, attempt: 2, reduce: 3}, 100),
		signRequest(testKey, request{job: testJob, mapTask: 2, attempt: 2, reduce: 3}, 100),
		signRequest(testKey, request{job: testJob, mapTask: 1, attempt: 3, reduce: 3}, 100),
		signRequest(testKey, request{job: testJob, mapTask: 1, attempt: 2, reduce: 4}, 100),
		signRequest(testKey, base, 101),
		signRequest(otherKey, base, 100),
		signReply(testKey, sig),
	}
	for i, o := range others {
		require.NotEqual(t, sig, o, "case %d", i)
		require.Len(t, o, 2*MACSize)
	}
	require.Equal(t, sig, signRequest(testKey, base, 100), "signatures are deterministic")
}

func FuzzParseQuery(f *testing.F) {
	f.Add("job=j&map=1&attempt=0&reduce=2")
	f.Add("reduce=2&attempt=0&map=1&job=a+b%26")
	f.Add("job=j&map=01&attempt=0&reduce=2")
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := parseQuery(raw)
		if err != nil {
			return
		}
		// Whatever was accepted has one canonical form, which parses
		// back to the same request.
		again, err := parseQuery(r.query())
		require.NoError(t, err)
		require.Equal(t, r, again)
		require.GreaterOrEqual(t, min(r.mapTask, r.attempt, r.reduce), 0)
	})
}
