package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ByteSize is a flag.Value for a size in bytes written as a number with an
// optional unit: 4096, 64KiB, 64MiB, 1GiB (KB, MB, GB and K, M, G mean the
// same powers of two).
type ByteSize int64

var sizeUnits = []struct {
	suffixes []string
	factor   int64
}{
	{[]string{"GiB", "GB", "G"}, 1 << 30},
	{[]string{"MiB", "MB", "M"}, 1 << 20},
	{[]string{"KiB", "KB", "K"}, 1 << 10},
	{[]string{"B", ""}, 1},
}

// ParseByteSize parses a size such as "64MiB".
func ParseByteSize(s string) (ByteSize, error) {
	for _, unit := range sizeUnits {
		for _, suffix := range unit.suffixes {
			num, ok := strings.CutSuffix(s, suffix)
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
			if err != nil || n < 0 {
				return 0, fmt.Errorf("bad size %q: want a number of bytes such as 4096, 64KiB, 64MiB or 1GiB", s)
			}
			if n > math.MaxInt64/unit.factor {
				return 0, fmt.Errorf("bad size %q: more than %d bytes", s, int64(math.MaxInt64))
			}
			return ByteSize(n * unit.factor), nil
		}
	}
	return 0, fmt.Errorf("bad size %q", s)
}

// String formats the size with the largest unit that divides it.
func (b ByteSize) String() string {
	for _, unit := range sizeUnits[:len(sizeUnits)-1] {
		if b != 0 && int64(b)%unit.factor == 0 {
			return fmt.Sprintf("%d%s", int64(b)/unit.factor, unit.suffixes[0])
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// Set parses s into b.
func (b *ByteSize) Set(s string) error {
	v, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = v
	return nil
}
