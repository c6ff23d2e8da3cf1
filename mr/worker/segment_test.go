package worker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/app"
	"6.5840/mr/filemerge"
	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// runSegmentMaps runs map task m of inputs, attempt 1, with outputs of at
// most segmentMax bytes appended to seg, and returns where each output is.
func runSegmentMaps(t *testing.T, a app.App, dir string, seg *segment, segmentMax int64, nReduce int, inputs ...string) ([]int, []jobfiles.Extent) {
	t.Helper()
	attempts := make([]int, len(inputs))
	extents := make([]jobfiles.Extent, len(inputs))
	for m, contents := range inputs {
		in := filepath.Join(dir, fmt.Sprintf("in%d", m))
		require.NoError(t, os.WriteFile(in, []byte(contents), 0o644))
		id := task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: 1}
		at := mapAttempt{app: a, dir: dir, id: id, input: task.WholeFile(in), nReduce: nReduce, segment: seg, segmentMax: segmentMax}
		files, extent, _, err := at.write(context.Background())
		require.NoError(t, err)
		if extent.InSegment() {
			require.Empty(t, files, "an output in the segment has no file of its own")
		} else {
			require.Equal(t, []string{at.output()}, files)
		}
		attempts[m], extents[m] = 1, extent
	}
	return attempts, extents
}

func TestSmallMapOutputsShareOneSegmentFile(t *testing.T) {
	dir := t.TempDir()
	seg := newSegment(dir)
	defer seg.close()
	attempts, extents := runSegmentMaps(t, letters, dir, seg, DefaultSegmentMax, 3, "abcdefgh", "hgfedcba", "zz")
	first := task.AttemptID{Task: task.ID{Kind: task.Map, Index: 0}, Attempt: 1}
	var end int64
	for m, e := range extents {
		require.True(t, e.InSegment(), "map %d", m)
		require.Equal(t, first, e.Segment, "map %d is in the segment its worker's first output started", m)
		require.Equal(t, end, e.Offset, "map %d follows the one before", m)
		end += e.Length
	}
	info, err := os.Stat(filepath.Join(dir, jobfiles.Segment(0, 1)))
	require.NoError(t, err)
	require.Equal(t, end, info.Size())
	for m := range extents {
		require.NoFileExists(t, filepath.Join(dir, jobfiles.Intermediate(m, 1)))
	}

	// The reducers read each section where it is, and get what they get
	// from outputs of their own.
	own := t.TempDir()
	ownAttempts := runMaps(t, letters, own, 3, "abcdefgh", "hgfedcba", "zz")
	var got []string
	for r := range 3 {
		id := task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: r}, Attempt: 1}
		at := reduceAttempt{app: letters, dir: dir, id: id, nReduce: 3, mapAttempts: attempts, extents: extents, locate: noLocate(t)}
		files, _, err := at.write(context.Background())
		require.NoError(t, err)
		data, err := os.ReadFile(files[0])
		require.NoError(t, err)
		got = append(got, string(data))
	}
	require.Equal(t, runReduces(t, letters, own, 3, ownAttempts), strings.Join(got, ""))
}

func TestLargeMapOutputHasAFileOfItsOwn(t *testing.T) {
	dir := t.TempDir()
	seg := newSegment(dir)
	defer seg.close()
	big := strings.Repeat("abcdefghij", 1000)
	_, extents := runSegmentMaps(t, letters, dir, seg, 1<<10, 2, "ab", big, "cd")
	require.True(t, extents[0].InSegment())
	require.False(t, extents[1].InSegment(), "an output past segmentMax is in the segment")
	require.FileExists(t, filepath.Join(dir, jobfiles.Intermediate(1, 1)))
	require.True(t, extents[2].InSegment())
	require.Equal(t, extents[0].Offset+extents[0].Length, extents[2].Offset)
}

func TestDamagedSegmentOutputIsLostAlone(t *testing.T) {
	dir := t.TempDir()
	seg := newSegment(dir)
	defer seg.close()
	attempts, extents := runSegmentMaps(t, letters, dir, seg, DefaultSegmentMax, 1, "abca", "ba", "cab")
	path := filepath.Join(dir, jobfiles.Segment(0, 1))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	// Damage map 1's bytes only.
	e := extents[1]
	for i := e.Offset + 4; i < e.Offset+e.Length-4; i++ {
		data[i] ^= 0xff
	}
	require.NoError(t, os.WriteFile(path, data, 0o644))

	loc := &fakeLocator{}
	id := task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}
	at := reduceAttempt{app: letters, dir: dir, id: id, mapAttempts: attempts, extents: extents, locate: loc.locate}
	_, _, err = at.write(context.Background())
	require.Error(t, err, "the fake locator revokes the attempt once it is asked")
	require.Len(t, loc.lost, 1, "only the damaged output is lost")
	require.Equal(t, 1, loc.lost[0].Map.Task.Index)
	require.Contains(t, loc.lost[0].Reason, jobfiles.Segment(0, 1), "the reason names the segment file")
	var lost *filemerge.LostError
	require.NotErrorAs(t, err, &lost, "the damage was found before any record reached Reduce")
}

func TestSegmentWriteFailureStartsANewFile(t *testing.T) {
	dir := t.TempDir()
	seg := newSegment(dir)
	defer seg.close()
	id := func(m int) task.AttemptID { return task.AttemptID{Task: task.ID{Kind: task.Map, Index: m}, Attempt: 1} }
	e, err := seg.append(id(0), []byte("one"))
	require.NoError(t, err)
	require.Equal(t, jobfiles.Extent{Segment: id(0), Offset: 0, Length: 3}, e)
	seg.f.Close() // the next write fails
	_, err = seg.append(id(1), []byte("two"))
	require.ErrorContains(t, err, jobfiles.Segment(0, 1))
	e, err = seg.append(id(2), []byte("three"))
	require.NoError(t, err)
	require.Equal(t, jobfiles.Extent{Segment: id(2), Offset: 0, Length: 5}, e, "a new segment file, named after the output that starts it")
	data, err := os.ReadFile(filepath.Join(dir, jobfiles.Segment(0, 1)))
	require.NoError(t, err)
	require.Equal(t, "one", string(data), "the outputs in the first file stay")
}

func TestSegmentCutShortLosesOnlyTheOutputsPastTheCut(t *testing.T) {
	dir := t.TempDir()
	seg := newSegment(dir)
	defer seg.close()
	attempts, extents := runSegmentMaps(t, letters, dir, seg, DefaultSegmentMax, 1, "abca", "ba", "cab")
	e := extents[1]
	require.NoError(t, os.Truncate(filepath.Join(dir, jobfiles.Segment(0, 1)), e.Offset+e.Length/2))

	loc := &fakeLocator{}
	id := task.AttemptID{Task: task.ID{Kind: task.Reduce}, Attempt: 1}
	at := reduceAttempt{app: letters, dir: dir, id: id, mapAttempts: attempts, extents: extents, locate: loc.locate}
	_, _, err := at.write(context.Background())
	require.Error(t, err, "the fake locator revokes the attempt once it is asked")
	var lost []int
	for _, l := range loc.lost {
		lost = append(lost, l.Map.Task.Index)
	}
	require.ElementsMatch(t, []int{1, 2}, lost, "the output before the cut is intact")
}
