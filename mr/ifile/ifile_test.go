package ifile

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

type record struct{ key, value string }

func encode(t testing.TB, records []record) []byte {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, r := range records {
		require.NoError(t, w.Write(r.key, r.value))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func decode(data []byte) ([]record, error) {
	r, err := NewReader(bytes.NewReader(data), "test")
	if err != nil {
		return nil, err
	}
	return drain(r)
}

// drain reads r's records up to io.EOF.
func drain(r *Reader) ([]record, error) {
	var out []record
	for {
		k, v, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, record{k, v})
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		records []record
	}{
		{"empty", nil},
		{"one", []record{{"a", "1"}}},
		{"empty strings", []record{{"", ""}, {"", "x"}, {"k", ""}}},
		{"long", []record{{string(bytes.Repeat([]byte("k"), 300)), string(bytes.Repeat([]byte("v"), 70000))}}},
		{"binary", []record{{"\x00\xff", "\n\r\x00"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(encode(t, tt.records))
			require.NoError(t, err)
			require.Equal(t, tt.records, got)
		})
	}
}

func TestDetectsDamage(t *testing.T) {
	good := encode(t, []record{{"alpha", "1"}, {"beta", "22"}})
	flipped := bytes.Clone(good)
	flipped[len(magic)+3] ^= 0x20
	tests := []struct {
		name string
		data []byte
	}{
		{"empty file", nil},
		{"bad magic", append([]byte("JSON"), good[len(magic):]...)},
		{"bad version", append([]byte(magic+"\x09"), good[len(magic)+1:]...)},
		{"flipped bit", flipped},
		{"trailing garbage", append(bytes.Clone(good), 'x')},
	}
	for cut := 1; cut < len(good); cut++ {
		tests = append(tests, struct {
			name string
			data []byte
		}{"truncated", good[:cut]})
	}
	for _, tt := range tests {
		_, err := decode(tt.data)
		require.Error(t, err, tt.name)
		require.True(t, errors.Is(err, ErrFormat), "%s: got %v; want ErrFormat", tt.name, err)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add("key", "value", "k2", "")
	f.Add("", "", "\x00", "\xff\xfe")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		records := []record{{k1, v1}, {k2, v2}}
		got, err := decode(encode(t, records))
		require.NoError(t, err)
		require.Equal(t, records, got)
	})
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(f, []record{{"a", "b"}}))
	f.Add([]byte(magic + "\x01\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		records, err := decode(data)
		if err != nil {
			require.True(t, errors.Is(err, ErrFormat), "got %v; want ErrFormat", err)
			return
		}
		// Whatever decodes cleanly must re-encode to the same bytes.
		require.Equal(t, data, encode(t, records))
	})
}
