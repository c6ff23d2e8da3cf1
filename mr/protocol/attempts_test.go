package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAttemptRunsRoundTrip(t *testing.T) {
	tests := []struct{ attempts, servers []int }{
		{nil, nil},
		{[]int{1}, []int{0}},
		{[]int{1, 1, 1, 1}, []int{0, 0, 0, 0}},
		{[]int{1, 2, 2, 1, 0, 0, 1001}, []int{0, 0, 0, 0, 0, 0, 0}},
		{[]int{1, 1, 1, 1}, []int{1, 2, 2, 1}},
	}
	for _, tt := range tests {
		attempts, servers := CompressAttempts(tt.attempts, tt.servers).Expand()
		require.Equal(t, tt.attempts, attempts)
		require.Equal(t, tt.servers, servers)
	}
	require.Len(t, CompressAttempts(make([]int, 100_000), nil), 1, "equal attempts make one run")
	require.Len(t, CompressAttempts([]int{1, 1, 1}, []int{1, 2, 1}), 3, "servers split runs")
}
