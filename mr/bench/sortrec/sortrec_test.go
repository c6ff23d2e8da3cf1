package sortrec

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// good is a record in the layout gensort -a writes.
const good = "j4>sdQr;_L  00000000000000000000000000000000  AAAA33331111666611119999AAAAEEEE9999555511116666CCCC\r\n"

func TestLayoutConstants(t *testing.T) {
	require.Len(t, good, Size)
	require.Equal(t, FillerOffset+FillerDigits*FillerRepeat, EndOffset)
	require.Equal(t, NumberOffset+NumberDigits+2, FillerOffset)
	require.Equal(t, "j4>sdQr;_L", Key(good))
	require.Equal(t, []byte("j4>sdQr;_L"), Key([]byte(good)))
}

func TestCheck(t *testing.T) {
	set := func(i int, b byte) string { r := []byte(good); r[i] = b; return string(r) }
	tests := []struct {
		name, rec, want string
	}{
		{"gensort record", good, ""},
		{"spaces and tildes", strings.Repeat("~", KeySize) + strings.Repeat(" ", EndOffset-KeySize) + End, ""},
		{"short", good[:Size-1], "99 bytes"},
		{"long", good + "x", "101 bytes"},
		{"no carriage return", set(EndOffset, ' '), "ends in"},
		{"no newline", set(Size-1, ' '), "ends in"},
		{"no separator", set(Separator, 'x'), "byte 10"},
		{"newline in key", set(3, '\n'), "byte 3 is 0x0a"},
		{"control in filler", set(60, 0x1F), "byte 60 is 0x1f"},
		{"DEL in filler", set(97, 0x7F), "byte 97 is 0x7f"},
		{"high byte in key", set(0, 0xC3), "byte 0 is 0xc3"},
		{"high byte in number", set(20, 0x80), "byte 20 is 0x80"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, err := range []error{Check(tt.rec), Check([]byte(tt.rec))} {
				if tt.want == "" {
					require.NoError(t, err)
					continue
				}
				require.ErrorContains(t, err, tt.want)
				require.True(t, errors.Is(err, ErrFormat), "got %v; want it to wrap ErrFormat", err)
			}
		})
	}
}

// TestPrintableEveryByte puts every byte value at every word offset
// among printable neighbours of every kind: the word-at-a-time test must
// agree with the byte-at-a-time definition.
func TestPrintableEveryByte(t *testing.T) {
	for _, fill := range []byte{minPrintable, 'A', maxPrintable} {
		buf := []byte(strings.Repeat(string(fill), 2*wordSize+3))
		for pos := range buf {
			for b := range 256 {
				saved := buf[pos]
				buf[pos] = byte(b)
				want := b >= minPrintable && b <= maxPrintable
				require.Equal(t, want, printable(buf), "byte %#02x at %d among %q", b, pos, fill)
				require.Equal(t, want, printable(string(buf)), "byte %#02x at %d among %q (string)", b, pos, fill)
				buf[pos] = saved
			}
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	rec := []byte(good)
	b.SetBytes(Size)
	for b.Loop() {
		if err := Check(rec); err != nil {
			b.Fatal(err)
		}
	}
}
