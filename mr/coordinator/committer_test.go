package coordinator

import (
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/require"

	"6.5840/mr/protocol"
)

// TestUnwritableJournalFailsTheJob: a commit the journal cannot record
// is not a commit, and the job fails: a restart could no longer trust the
// journal.
func TestUnwritableJournalFailsTheJob(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		w := register(t, s)
		run := getTask(t, s, w)
		require.NoError(t, c.committer.journal.Close())
		require.Equal(t, protocol.VerdictFailed, report(t, s, w, run.Attempt, map[string]int64{"records": 1}))
		require.ErrorContains(t, c.Err(), "journal")
		require.Empty(t, c.Counters(), "a commit that failed adds nothing")
		require.Equal(t, protocol.ActionExit, getTask(t, s, w).Action)
	})
}

// TestRestartRestoresWhatTheCommitterWrote: a coordinator started again
// on the job knows each committed map task's counters and server from the
// journal alone.
func TestRestartRestoresWhatTheCommitterWrote(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestService(t, 1)
		commitServedMap(t, s)
		c.Close()

		again, err := New(c.cfg)
		require.NoError(t, err)
		t.Cleanup(again.Close)
		require.Equal(t, map[string]int64{"records": 5}, again.Counters())
		s2 := &Service{c: again}
		r := getTask(t, s2, register(t, s2))
		require.Equal(t, protocol.ActionRun, r.Action)
		require.Equal(t, []string{"", "10.0.0.2:7001"}, r.MapLocations.Servers, "the map output is still served there")
		require.Greater(t, r.Attempt.Attempt, 1, "attempts of a new start are numbered after the earlier start's")
	})
}
