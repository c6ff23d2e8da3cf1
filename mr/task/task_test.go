package task

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNames(t *testing.T) {
	id := AttemptID{Task: ID{Kind: Map, Index: 3}, Attempt: 2}
	require.Equal(t, "map-3.2", id.String())
	require.Equal(t, "reduce-0", ID{Kind: Reduce}.String())
	require.Equal(t, "kind(0)", Kind(0).String())
	require.False(t, Kind(0).Valid())
	require.Equal(t, "a.txt", WholeFile("a.txt").String())
	require.Equal(t, "a.txt[10:20]", Input{Path: "a.txt", Offset: 10, Length: 10}.String())
	require.Equal(t, "", Input{}.String(), "a reduce task has no input")
}

func TestSplit(t *testing.T) {
	require.Equal(t, []Input{WholeFile("f")}, Split("f", 100, 0))
	require.Equal(t, []Input{WholeFile("f")}, Split("f", 100, 100))
	require.Equal(t, []Input{{Path: "f", Length: 40}, {Path: "f", Offset: 40, Length: 40}, {Path: "f", Offset: 80, Length: 20}}, Split("f", 100, 40))
	require.Equal(t, []Input{WholeFile("empty")}, Split("empty", 0, 40))
}
