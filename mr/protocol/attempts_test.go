package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAttemptRunsRoundTrip(t *testing.T) {
	tests := [][]int{
		nil,
		{1},
		{1, 1, 1, 1},
		{1, 2, 2, 1, 0, 0, 1001},
	}
	for _, attempts := range tests {
		runs := CompressAttempts(attempts)
		require.Equal(t, attempts, runs.Expand())
	}
	require.Len(t, CompressAttempts(make([]int, 100_000)), 1, "equal attempts make one run")
}
