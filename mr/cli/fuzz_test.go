package cli

import "testing"

// FuzzByteSize checks that Set never panics, that what it accepts is not
// negative, and that String writes it back as a size that parses to the
// same value.
func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"0", "4096", "64KiB", "64K", "64MiB", "16MB", "1GiB", "10B", "", "MiB",
		"-5", "12parsecs", " 7 KiB", "+3M", "9223372036854775807", "1KiBB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b ByteSize
		if err := b.Set(s); err != nil {
			if b != 0 {
				t.Fatalf("Set(%q) failed with %v but set %d", s, err, b)
			}
			return
		}
		if b < 0 {
			t.Fatalf("Set(%q) accepted the negative size %d", s, b)
		}
		var back ByteSize
		if err := back.Set(b.String()); err != nil || back != b {
			t.Fatalf("Set(%q) = %d, String %q parses to %d, %v", s, b, b.String(), back, err)
		}
	})
}
