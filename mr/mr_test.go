package mr

import (
	"hash/fnv"
	"testing"
)

func fnv32a(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() & 0x7fffffff)
}

func TestHashIsFNV1a(t *testing.T) {
	for _, key := range []string{"", "a", "whale", "naïve café", "\x00\xff", "the quick brown fox jumps over the lazy dog"} {
		if got, want := Hash(key), fnv32a(key); got != want {
			t.Errorf("Hash(%q) = %d; want %d", key, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Hash("whale") }); n != 0 {
		t.Errorf("Hash allocates %v times; want 0", n)
	}
}

func FuzzHashIsFNV1a(f *testing.F) {
	f.Add("whale")
	f.Fuzz(func(t *testing.T, key string) {
		if got, want := Hash(key), fnv32a(key); got != want {
			t.Errorf("Hash(%q) = %d; want %d", key, got, want)
		}
	})
}
