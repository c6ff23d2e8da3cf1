package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/coordinator"
	"6.5840/mr/jobfiles"
	"6.5840/mr/journal"
	"6.5840/mr/protocol"
	"6.5840/mr/status"
	"6.5840/mr/task"
)

var threeTexts = []string{"pg-being_ernest.txt", "pg-metamorphosis.txt", "pg-grimm.txt"}

func TestKilledWorkersTaskMovesOn(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	c := j.coordinator("-nreduce", "3")
	j.waitForSocket()
	victim := j.worker("PROBE_MAP_SLEEP=60s")
	j.waitFor("the victim to start a map", func() bool { return len(j.mapCalls()) == 1 })
	victim.signal(t, syscall.SIGKILL)
	helper := j.worker()

	require.NoError(t, c.wait(t))
	require.NoError(t, helper.wait(t))
	require.Equal(t, j.want(), j.output())
	require.Empty(t, j.leftovers())

	// The job report tells the story: the killed worker's attempt revoked
	// by its lease, not the hard limit, every task committed once.
	report := j.report()
	require.Equal(t, status.JobDone, report.Job.State)
	outcomes := map[string]int{}
	for _, a := range report.Attempts {
		outcomes[a.Outcome]++
		if a.Outcome == status.OutcomeRevoked {
			require.Equal(t, fmt.Sprintf("no heartbeat for %v", coordinator.DefaultLease), a.Error,
				"the lease, not the hard limit, must catch a dead worker")
			require.Less(t, a.End.Sub(a.Start), coordinator.DefaultTaskTimeout)
		}
	}
	require.Equal(t, 1, outcomes[status.OutcomeRevoked])
	require.Equal(t, len(threeTexts)+3, outcomes[status.OutcomeCommitted])
	require.Equal(t, int64(len(j.want())), report.Counters[protocol.CounterReduceOutputRecords])
	html, err := os.ReadFile(filepath.Join(j.dir, "mr-report.html"))
	require.NoError(t, err)
	require.Contains(t, string(html), "<svg")
}

func TestStoppedWorkerIsReplacedAndLeavesNoTrace(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	c := j.coordinator("-nreduce", "3")
	j.waitForSocket()
	frozen := j.start("mrworker", []string{"PROBE_MAP_SLEEP=2s"}, "-retry-window", "1s", filepath.Join(bin, "probe.so"))
	j.waitFor("the frozen worker to start a map", func() bool { return len(j.mapCalls()) == 1 })
	frozen.signal(t, syscall.SIGSTOP)
	helper := j.worker()
	require.NoError(t, c.wait(t))
	require.NoError(t, helper.wait(t))
	done := j.output()
	require.Equal(t, j.want(), done)

	// Woken after the job, the stopped worker must give up its attempt
	// and exit without touching anything.
	frozen.signal(t, syscall.SIGCONT)
	require.NoError(t, frozen.wait(t))
	require.Equal(t, done, j.output())
	require.Empty(t, j.leftovers(), "the revoked attempt left files behind")
}

func TestSlowButAliveWorkerKeepsItsTask(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pg-metamorphosis.txt")
	c := j.coordinator("-nreduce", "1")
	j.waitForSocket()
	slow := j.worker("PROBE_MAP_SLEEP=10s")
	j.waitFor("the slow map to start", func() bool { return len(j.mapCalls()) == 1 })
	idle := j.worker()
	require.NoError(t, c.wait(t))
	require.NoError(t, slow.wait(t))
	require.NoError(t, idle.wait(t))
	require.Equal(t, map[string]int{"pg-metamorphosis.txt": 1}, j.mapCalls(), "a heartbeating worker's map was run twice")
	require.Equal(t, j.want(), j.output())
}

func TestPoisonInputFailsTheJobNamingIt(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	c := j.coordinator("-nreduce", "2")
	j.waitForSocket()
	w1, w2 := j.worker("PROBE_POISON=grimm"), j.worker("PROBE_POISON=grimm")

	require.Equal(t, 1, exitCode(c.wait(t)))
	require.Contains(t, c.log(), "pg-grimm.txt")
	require.Contains(t, c.log(), "failed 5 times")
	require.Contains(t, c.log(), "Map panicked: poison record")
	for _, w := range []*proc{w1, w2} {
		require.Equal(t, 1, exitCode(w.wait(t)))
		require.Contains(t, w.log(), "job failed")
	}
	require.Equal(t, 5, j.mapCalls()["pg-grimm.txt"], "default -max-failures 4 allows 5 attempts")
	require.Empty(t, j.output(), "a failed job leaves no partial output")
	require.Contains(t, c.log(), "run the same command again to resume")
	require.Contains(t, j.leftovers(), "mr-journal", "a failed job keeps its journal")
	committed := j.journalCommits(2)
	require.NotEmpty(t, committed)
	before := j.mapCalls()
	firstStart := j.lastAttempt(2)

	// The same command again, the input fixed: the job resumes and maps
	// only what had not committed.
	c2 := j.coordinator("-nreduce", "2")
	j.waitForSocket()
	w := j.worker()
	require.NoError(t, c2.wait(t))
	require.NoError(t, w.wait(t))
	j.requireResumedAfter(firstStart)
	after := j.mapCalls()
	for _, m := range committed {
		require.Equal(t, before[threeTexts[m]], after[threeTexts[m]], "%s was committed before the failure but mapped again", threeTexts[m])
	}
	require.Equal(t, 6, after["pg-grimm.txt"])
	require.Equal(t, j.want(), j.output())
	require.Empty(t, j.leftovers())
}

func TestSkipBadInputs(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	c := j.coordinator("-nreduce", "2", "-max-failures", "1", "-skip-bad-inputs")
	j.waitForSocket()
	w := j.worker("PROBE_POISON=grimm")
	require.NoError(t, c.wait(t))
	require.NoError(t, w.wait(t))
	require.Contains(t, c.log(), "WITHOUT these inputs")
	require.Contains(t, c.log(), "pg-grimm.txt")
	j.inputs = j.inputs[:2] // the expected answer leaves grimm out
	require.Equal(t, j.want(), j.output())
}

// readJournal returns what the job's journal records, for a job of
// nReduce reduce tasks, or false if there is no journal yet.
func (j *job) readJournal(nReduce int) (journal.State, bool) {
	state, err := journal.Read(filepath.Join(j.dir, jobfiles.Journal), journal.Shape{Maps: len(j.inputs), Reduces: nReduce})
	if errors.Is(err, os.ErrNotExist) {
		return journal.State{}, false
	}
	require.NoError(j.t, err)
	return state, true
}

// journalCommits returns the map tasks the job's journal records as
// committed (or skipped), for a job of nReduce reduce tasks.
func (j *job) journalCommits(nReduce int) []int {
	state, _ := j.readJournal(nReduce)
	var maps []int
	for _, c := range state.Commits {
		if c.Attempt.Task.Kind == task.Map {
			maps = append(maps, c.Attempt.Task.Index)
		}
	}
	return maps
}

// lastAttempt returns the highest attempt number the job's journal
// records as begun, for a job of nReduce reduce tasks.
func (j *job) lastAttempt(nReduce int) int {
	state, ok := j.readJournal(nReduce)
	require.True(j.t, ok, "no journal")
	last := 0
	for _, id := range state.Begun {
		last = max(last, id.Attempt)
	}
	require.Positive(j.t, last, "no attempt begun")
	return last
}

// requireResumedAfter checks, from the job report, that the coordinator
// resumed the job from its journal: every attempt it began is numbered
// after the last one of the earlier start.
func (j *job) requireResumedAfter(lastAttempt int) {
	attempts := j.report().Attempts
	require.NotEmpty(j.t, attempts)
	for _, a := range attempts {
		require.Greater(j.t, a.Attempt, lastAttempt, "attempt %s numbered as if the job started afresh", a.ID)
	}
}

func TestRestartedCoordinatorRepeatsNoFinishedMap(t *testing.T) {
	t.Parallel()
	texts := []string{"pg-being_ernest.txt", "pg-dorian_gray.txt", "pg-frankenstein.txt", "pg-grimm.txt",
		"pg-huckleberry_finn.txt", "pg-metamorphosis.txt", "pg-sherlock_holmes.txt", "pg-tom_sawyer.txt"}
	j := newJob(t, texts...)
	c1 := j.coordinator("-nreduce", "3")
	j.waitForSocket()
	w1, w2 := j.worker("PROBE_MAP_SLEEP=300ms"), j.worker("PROBE_MAP_SLEEP=300ms")
	j.waitFor("three commits in the journal", func() bool { return len(j.journalCommits(3)) >= 3 })
	c1.signal(t, syscall.SIGKILL)
	c1.wait(t)
	committed := j.journalCommits(3)
	firstStart := j.lastAttempt(3)

	// The journal belongs to this job: another job is refused.
	other := j.start("mrcoordinator", nil, append([]string{"-nreduce", "4"}, j.inputs...)...)
	require.Equal(t, 2, exitCode(other.wait(t)))
	require.Contains(t, other.log(), "another job")

	c2 := j.coordinator("-nreduce", "3")
	require.NoError(t, c2.wait(t))
	require.NoError(t, w1.wait(t))
	require.NoError(t, w2.wait(t))
	j.requireResumedAfter(firstStart)
	calls := j.mapCalls()
	for _, m := range committed {
		name := texts[m]
		require.Equal(t, 1, calls[name], "%s was committed before the restart but mapped %d times", name, calls[name])
	}
	require.Equal(t, j.want(), j.output())
	require.Empty(t, j.leftovers())
}

func TestSecondCoordinatorOnAJobFolderIsRefused(t *testing.T) {
	t.Parallel()
	j := newJob(t, threeTexts...)
	journal := filepath.Join(j.dir, "mr-journal")
	c1 := j.coordinator("-nreduce", "2")
	j.waitForSocket()
	before, err := os.ReadFile(journal)
	require.NoError(t, err)

	// Another socket, the same folder.
	c2 := j.coordinator("-nreduce", "2", "-addr", filepath.Join(j.dir, "other.sock"))
	require.Equal(t, 2, exitCode(c2.wait(t)))
	require.Contains(t, c2.log(), filepath.Join(j.dir, "mr-lock"))
	require.Contains(t, c2.log(), fmt.Sprintf("process %d", c1.cmd.Process.Pid))
	after, err := os.ReadFile(journal)
	require.NoError(t, err)
	require.Equal(t, string(before), string(after), "the refused coordinator wrote into the live job's journal")

	w := j.worker()
	require.NoError(t, c1.wait(t))
	require.NoError(t, w.wait(t))
	require.Equal(t, j.want(), j.output())
	require.Empty(t, j.leftovers())
}

func TestInterruptedJobHidesItsOutputsAndResumes(t *testing.T) {
	t.Parallel()
	texts := []string{"pg-being_ernest.txt", "pg-dorian_gray.txt", "pg-frankenstein.txt", "pg-grimm.txt"}
	j := newJob(t, texts...)
	c1 := j.coordinator("-nreduce", "2")
	j.waitForSocket()
	w1 := j.worker("PROBE_MAP_SLEEP=300ms")
	j.waitFor("two commits in the journal", func() bool { return len(j.journalCommits(2)) >= 2 })
	c1.signal(t, syscall.SIGINT)
	require.Equal(t, 1, exitCode(c1.wait(t)))
	require.Contains(t, c1.log(), "stopped by interrupt")
	require.Contains(t, c1.log(), "run the same command again to resume")
	w1.wait(t)
	committed := j.journalCommits(2)
	require.NotEmpty(t, committed)
	require.Empty(t, j.output(), "a stopped job leaves no partial output")

	c2 := j.coordinator("-nreduce", "2")
	j.waitForSocket()
	w2 := j.worker()
	require.NoError(t, c2.wait(t))
	require.NoError(t, w2.wait(t))
	calls := j.mapCalls()
	for _, m := range committed {
		require.Equal(t, 1, calls[texts[m]], "%s was committed before the stop but mapped %d times", texts[m], calls[texts[m]])
	}
	require.Equal(t, j.want(), j.output())
	require.Empty(t, j.leftovers())
}
