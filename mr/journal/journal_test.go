package journal

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/jobfiles"
	"6.5840/mr/task"
)

// shape is the shape of the jobs these tests journal.
var shape = Shape{Maps: 100, Reduces: 10}

func commit(kind task.Kind, index, attempt int) Commit {
	return Commit{Attempt: task.AttemptID{Task: task.ID{Kind: kind, Index: index}, Attempt: attempt}}
}

func TestReplayAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, state, err := Open(path, "job-1", shape)
	require.NoError(t, err)
	require.Equal(t, State{}, state)
	require.NoError(t, j.Commit(commit(task.Map, 0, 1)))
	counted := commit(task.Map, 2, 3)
	counted.Counters = map[string]int64{"lines": 7}
	require.NoError(t, j.Commit(counted))
	skipped := commit(task.Map, 1, 0)
	skipped.Skipped = true
	require.NoError(t, j.Commit(skipped))
	require.NoError(t, j.Close())

	j, state, err = Open(path, "job-1", shape)
	require.NoError(t, err)
	require.Equal(t, 1, state.Starts)
	require.Equal(t, []Commit{commit(task.Map, 0, 1), counted, skipped}, state.Commits)
	require.NoError(t, j.Commit(commit(task.Reduce, 0, 1)))
	require.NoError(t, j.Close())

	_, state, err = Open(path, "job-1", shape)
	require.NoError(t, err)
	require.Equal(t, 2, state.Starts)
	require.Len(t, state.Commits, 4)
}

func TestTornLastLineIsDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job", shape)
	require.NoError(t, err)
	require.NoError(t, j.Commit(commit(task.Map, 0, 1)))
	require.NoError(t, j.Close())
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`1234abcd {"kind":1,"ta`) // crash in mid-write
	require.NoError(t, err)
	require.NoError(t, f.Close())

	j, state, err := Open(path, "job", shape)
	require.NoError(t, err)
	require.Equal(t, []Commit{commit(task.Map, 0, 1)}, state.Commits)
	require.NoError(t, j.Commit(commit(task.Map, 1, 1)))
	require.NoError(t, j.Close())
	_, state, err = Open(path, "job", shape)
	require.NoError(t, err, "appending after a torn line must leave a clean journal")
	require.Len(t, state.Commits, 2)
}

func TestOtherJobIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job-a", shape)
	require.NoError(t, err)
	require.NoError(t, j.Close())
	_, _, err = Open(path, "job-b", shape)
	require.ErrorIs(t, err, ErrOtherJob)
	require.ErrorContains(t, err, path)
}

// line returns rec as a journal line with a good checksum.
func line(rec string) string {
	return fmt.Sprintf("%08x %s\n", crc32.Checksum([]byte(rec), crcTable), rec)
}

func TestDamagedLineIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	require.NoError(t, os.WriteFile(path, []byte(line(`{"job":"x"}`)+"not json\n"+line(`{"start":1}`)), 0o644))
	_, _, err := Open(path, "x", shape)
	require.ErrorContains(t, err, "line 2")
}

func TestBadChecksumIsRefusedNamingTheLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job", shape)
	require.NoError(t, err)
	require.NoError(t, j.Commit(commit(task.Map, 3, 1)))
	require.NoError(t, j.Commit(commit(task.Map, 4, 1)))
	require.NoError(t, j.Close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	// A forged commit: map 3's line now says attempt 2.
	forged := strings.Replace(string(data), `"task":3,"attempt":1`, `"task":3,"attempt":2`, 1)
	require.NotEqual(t, string(data), forged)
	require.NoError(t, os.WriteFile(path, []byte(forged), 0o644))
	_, _, err = Open(path, "job", shape)
	require.ErrorContains(t, err, "line 3")
	require.ErrorContains(t, err, "checksum")
}

func TestImpossibleRecordsAreRefusedNamingTheLine(t *testing.T) {
	for name, rec := range map[string]string{
		"attempt 0":         `{"kind":1,"task":1}`,
		"negative attempt":  `{"kind":2,"task":1,"attempt":-3}`,
		"map out of range":  `{"kind":1,"task":100,"attempt":1}`,
		"reduce of range":   `{"kind":2,"task":10,"attempt":1}`,
		"negative task":     `{"kind":1,"task":-1,"attempt":1}`,
		"unknown kind":      `{"kind":7,"task":1,"attempt":1}`,
		"no kind":           `{"task":1,"attempt":1}`,
		"skipped reduce":    `{"kind":2,"task":1,"skipped":true}`,
		"lost reduce":       `{"kind":2,"task":1,"attempt":1,"lost":true}`,
		"begun attempt 0":   `{"kind":1,"task":1,"begin":true}`,
		"second job line":   `{"job":"job"}`,
		"negative worker":   `{"worker":-1}`,
		"negative out size": `{"kind":2,"task":1,"attempt":1,"size":-1}`,
		"completing map":    `{"kind":1,"task":1,"attempt":1,"completing":true}`,
		"completing 0":      `{"kind":2,"task":1,"completing":true}`,
		"reduce in segment": `{"kind":2,"task":1,"attempt":1,"seg_task":1,"seg_attempt":1,"length":9}`,
		"empty extent":      `{"kind":1,"task":1,"attempt":1,"seg_task":1,"seg_attempt":1,"offset":4}`,
		"negative offset":   `{"kind":1,"task":1,"attempt":1,"seg_task":1,"seg_attempt":1,"offset":-4,"length":9}`,
		"segment of no map": `{"kind":1,"task":1,"attempt":1,"seg_task":100,"seg_attempt":1,"length":9}`,
		"segment attempt 0": `{"kind":1,"task":1,"attempt":1,"seg_task":1,"length":9}`,
		"begun in segment":  `{"kind":1,"task":1,"attempt":1,"begin":true,"seg_task":1,"seg_attempt":1,"length":9}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mr-journal")
			require.NoError(t, os.WriteFile(path, []byte(line(`{"job":"job"}`)+line(`{"start":1}`)+line(rec)), 0o644))
			_, _, err := Open(path, "job", shape)
			require.ErrorContains(t, err, "line 3")
		})
	}
}

func TestJournalOfAnEarlierVersionIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	require.NoError(t, os.WriteFile(path, []byte("{\"job\":\"job\"}\n{\"start\":1}\n"), 0o644))
	_, _, err := Open(path, "job", shape)
	require.ErrorContains(t, err, "earlier version")
	require.ErrorContains(t, err, "remove the journal")
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "{\"job\":\"job\"}\n{\"start\":1}\n", string(data), "a refused journal must stay as it was")
}

func TestMapCommitKeepsItsSegmentExtent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job", shape)
	require.NoError(t, err)
	inSegment := commit(task.Map, 4, 2)
	inSegment.Extent = jobfiles.Extent{Segment: commit(task.Map, 3, 1).Attempt, Offset: 0, Length: 77}
	later := commit(task.Map, 5, 1)
	later.Extent = jobfiles.Extent{Segment: commit(task.Map, 3, 1).Attempt, Offset: 77, Length: 12}
	ownFile := commit(task.Map, 6, 1)
	for _, c := range []Commit{inSegment, later, ownFile} {
		require.NoError(t, j.Commit(c))
	}
	require.NoError(t, j.Close())
	_, state, err := Open(path, "job", shape)
	require.NoError(t, err)
	require.Equal(t, []Commit{inSegment, later, ownFile}, state.Commits)
}

func TestReduceCommitKeepsItsOutputSum(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job", shape)
	require.NoError(t, err)
	c := commit(task.Reduce, 2, 1)
	c.Size, c.CRC = 12, 0xdeadbeef
	require.NoError(t, j.Commit(c))
	require.NoError(t, j.Close())
	_, state, err := Open(path, "job", shape)
	require.NoError(t, err)
	require.Equal(t, []Commit{c}, state.Commits)
}

func TestReduceCommitInABucketKeepsItsETagAndCompletingLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job", shape)
	require.NoError(t, err)
	c := commit(task.Reduce, 3, 2)
	c.Size, c.ETag = 12, `"abc-1"`
	require.NoError(t, j.Completing(c.Attempt))
	require.NoError(t, j.Completing(task.AttemptID{Task: task.ID{Kind: task.Reduce, Index: 4}, Attempt: 1}))
	require.NoError(t, j.Commit(c))
	require.NoError(t, j.Close())
	_, state, err := Open(path, "job", shape)
	require.NoError(t, err)
	require.Equal(t, []Commit{c}, state.Commits)
	require.Equal(t, []task.AttemptID{c.Attempt, {Task: task.ID{Kind: task.Reduce, Index: 4}, Attempt: 1}}, state.Completing,
		"a completing line without its commit is kept: the coordinator died between the two")
	require.Empty(t, state.Begun)
}

// FuzzReplay replays arbitrary journals: it never panics, and whatever it
// accepts names only tasks of the job and attempts from 1 on.
func FuzzReplay(f *testing.F) {
	f.Add([]byte(line(`{"job":"job"}`) + line(`{"start":1}`) + line(`{"kind":1,"task":3,"attempt":2}`)))
	f.Add([]byte(line(`{"job":"job"}`) + line(`{"kind":1,"task":1}`)))
	f.Add([]byte(line(`{"job":"job"}`) + line(`{"kind":1,"task":1,"skipped":true}`) + line(`{"kind":2,"task":0,"attempt":1,"size":5,"crc":7}`)))
	f.Add([]byte(line(`{"job":"job"}`) + line(`{"kind":1,"task":1,"attempt":1,"begin":true}`) + line(`{"kind":1,"task":1,"attempt":1,"lost":true}`)))
	f.Add([]byte(line(`{"job":"job"}`) + line(`{"kind":2,"task":1,"attempt":3,"completing":true}`) + line(`{"kind":2,"task":1,"attempt":3,"size":5,"etag":"\"e-1\""}`)))
	f.Add([]byte("{\"job\":\"job\"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		state, end, err := replay(bytes.NewReader(data), "fuzz", "job", shape)
		if err != nil {
			return
		}
		require.LessOrEqual(t, end, int64(len(data)))
		for _, c := range state.Commits {
			n := shape.Maps
			if c.Attempt.Task.Kind == task.Reduce {
				n = shape.Reduces
			} else {
				require.Equal(t, task.Map, c.Attempt.Task.Kind)
			}
			require.True(t, c.Attempt.Task.Index >= 0 && c.Attempt.Task.Index < n, "%v", c.Attempt)
			if c.Skipped {
				require.Equal(t, 0, c.Attempt.Attempt)
			} else {
				require.GreaterOrEqual(t, c.Attempt.Attempt, 1, "a commit of attempt %v", c.Attempt)
			}
		}
		for _, id := range state.Begun {
			require.GreaterOrEqual(t, id.Attempt, 1, "a begun attempt %v", id)
		}
		for _, id := range state.Completing {
			require.Equal(t, task.Reduce, id.Task.Kind, "a completing %v", id)
			require.GreaterOrEqual(t, id.Attempt, 1, "a completing %v", id)
		}
	})
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a")
	require.NoError(t, os.WriteFile(a, []byte("one"), 0o644))
	f1, err := Fingerprint([]string{a}, "n=10")
	require.NoError(t, err)
	f2, _ := Fingerprint([]string{a}, "n=10")
	require.Equal(t, f1, f2)
	f3, _ := Fingerprint([]string{a}, "n=3")
	require.NotEqual(t, f1, f3, "the shape must count")
	require.NoError(t, os.WriteFile(a, []byte("longer"), 0o644))
	f4, _ := Fingerprint([]string{a}, "n=10")
	require.NotEqual(t, f1, f4, "changed input must count")
	_, err = Fingerprint([]string{filepath.Join(dir, "missing")}, "n=10")
	require.ErrorContains(t, err, "missing")
}

func TestConcurrentCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	j, _, err := Open(path, "job", shape)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { require.NoError(t, j.Commit(commit(task.Map, i, 1))) })
	}
	wg.Wait()
	require.NoError(t, j.Close())
	_, state, err := Open(path, "job", shape)
	require.NoError(t, err)
	require.Len(t, state.Commits, 50)
}

func TestReadWhileOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	_, err := Read(path, shape)
	require.ErrorIs(t, err, os.ErrNotExist)

	j, _, err := Open(path, "job-1", shape)
	require.NoError(t, err)
	defer j.Close()
	counted := commit(task.Map, 2, 1)
	counted.Counters, counted.Server = map[string]int64{"lines": 7}, "10.0.0.1:7001"
	require.NoError(t, j.Begin(counted.Attempt))
	require.NoError(t, j.Commit(counted))
	require.NoError(t, j.Commit(commit(task.Map, 3, 1)))
	require.NoError(t, j.Lost(commit(task.Map, 3, 1).Attempt))
	require.NoError(t, j.Worker(4))

	state, err := Read(path, shape)
	require.NoError(t, err)
	require.Equal(t, []Commit{counted}, state.Commits, "a lost output's commit no longer holds")
	require.Equal(t, []task.AttemptID{counted.Attempt}, state.Begun)
	require.Equal(t, 4, state.LastWorker)

	// A line being written as the journal is read is left out.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`1234abcd {"kind":1,"ta`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	again, err := Read(path, shape)
	require.NoError(t, err)
	require.Equal(t, state, again)

	// Reading wrote nothing: the journal opens as before.
	before, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = Read(path, shape)
	require.NoError(t, err)
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

func TestReadRefusesADamagedJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mr-journal")
	require.NoError(t, os.WriteFile(path, []byte("00000000 {\"job\":\"j\"}\n"), 0o644))
	_, err := Read(path, shape)
	require.ErrorContains(t, err, "line 1")
	require.ErrorContains(t, err, "checksum")
}

func TestSplitPointsOfAnyBytesSurviveReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, _, err := Open(path, "job-1", shape)
	require.NoError(t, err)
	splits := []string{"", "\x00\xff", "k\n\"q\"", "\xfe\xfe\xfe"}
	require.NoError(t, j.Splits(splits))
	require.NoError(t, j.Close())
	_, state, err := Open(path, "job-1", Shape{Maps: shape.Maps, Reduces: len(splits) + 1})
	require.NoError(t, err)
	require.True(t, state.HasSplits)
	require.Equal(t, splits, state.Splits)

	_, _, err = Open(path, "job-1", Shape{Maps: shape.Maps, Reduces: len(splits)})
	require.ErrorContains(t, err, "4 split points for 4 reduce tasks")
}

func TestNoSplitPointsAreStillRecorded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal")
	j, state, err := Open(path, "job-1", shape)
	require.NoError(t, err)
	require.False(t, state.HasSplits)
	require.NoError(t, j.Splits(nil))
	require.NoError(t, j.Close())
	state, err = Read(path, shape)
	require.NoError(t, err)
	require.True(t, state.HasSplits, "a sample without keys still fixes the partitioning")
	require.Empty(t, state.Splits)
}
