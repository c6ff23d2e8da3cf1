package cli

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want ByteSize
		err  bool
	}{
		{"0", 0, false},
		{"4096", 4096, false},
		{"64KiB", 64 << 10, false},
		{"64K", 64 << 10, false},
		{"64MiB", 64 << 20, false},
		{"16MB", 16 << 20, false},
		{"1GiB", 1 << 30, false},
		{"10B", 10, false},
		{"", 0, true},
		{"MiB", 0, true},
		{"-5", 0, true},
		{"12parsecs", 0, true},
		{"9223372036854775807", 1<<63 - 1, false},
		{"8589934591G", 8589934591 << 30, false},
		{"8589934592G", 0, true},
		{"17179869184G", 0, true},
		{"9007199254740992KiB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.err {
			require.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
		back, err := ParseByteSize(got.String())
		require.NoError(t, err)
		require.Equal(t, got, back, "String must round-trip")
	}
}
