package jobfiles

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNamesAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for m := range 12 {
		for a := 1; a < 12; a++ {
			name := Intermediate(m, a)
			require.False(t, seen[name], "%s named twice", name)
			seen[name] = true
			for r := range 12 {
				spill := Spill(m, a, r, 0)
				require.False(t, seen[spill], "%s named twice", spill)
				seen[spill] = true
			}
		}
	}
	require.Equal(t, "mr-out-7", Output(7))
}

func TestRemoveScratchKeepsOutputs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{Output(0), Output(1), Intermediate(0, 1), Spill(0, 1, 0, 0), TempPrefix + "x", "input.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), nil, 0o644))
	}
	require.NoError(t, RemoveScratch(dir))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	require.Equal(t, []string{"input.txt", "mr-out-0", "mr-out-1"}, left)
}
