package ifile

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func writeSections(t testing.TB, sections [][]record) []byte {
	var buf bytes.Buffer
	sw := NewSectionWriter(&buf)
	for _, recs := range sections {
		w, err := sw.Next()
		require.NoError(t, err)
		for _, r := range recs {
			require.NoError(t, w.Write(r.key, r.value))
		}
	}
	require.NoError(t, sw.Close())
	return buf.Bytes()
}

func readSection(data []byte, i int) ([]record, error) {
	r, err := OpenSection(bytes.NewReader(data), int64(len(data)), "test", i)
	if err != nil {
		return nil, err
	}
	return drain(r)
}

func TestSectionsRoundTrip(t *testing.T) {
	sections := [][]record{{{"a", "1"}, {"b", "2"}}, nil, {{"c", ""}}, nil}
	data := writeSections(t, sections)
	for i, want := range sections {
		got, err := readSection(data, i)
		require.NoError(t, err)
		require.Equal(t, want, got, "section %d", i)
	}
	_, err := readSection(data, len(sections))
	require.ErrorIs(t, err, ErrFormat)
	_, err = readSection(data, -1)
	require.ErrorIs(t, err, ErrFormat)
}

func TestSectionsDetectDamage(t *testing.T) {
	data := writeSections(t, [][]record{{{"a", "1"}}, {{"b", "2"}}})
	for cut := 0; cut < len(data); cut++ {
		_, err0 := readSection(data[:cut], 0)
		_, err1 := readSection(data[:cut], 1)
		require.True(t, errors.Is(err0, ErrFormat) || errors.Is(err1, ErrFormat),
			"truncated to %d bytes and both sections read cleanly", cut)
	}
}

func FuzzOpenSection(f *testing.F) {
	f.Add(writeSections(f, [][]record{{{"a", "1"}}, {{"b", "2"}}}), 1)
	f.Fuzz(func(t *testing.T, data []byte, i int) {
		// Whatever the bytes, reading must end in records or ErrFormat.
		if _, err := readSection(data, i); err != nil {
			require.True(t, errors.Is(err, ErrFormat), "got %v", err)
		}
	})
}
