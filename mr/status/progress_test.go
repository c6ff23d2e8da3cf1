package status

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		snap Snapshot
		now  time.Time
		want string
	}{
		{
			"fixture: lost worker not alive, revoked and failed count",
			fixture(), fixtureNow,
			"maps 8/8  reduces 3/10 (1 running)  workers 2 alive  failures 2  elapsed 12.3s",
		},
		{
			"empty", Snapshot{}, t0,
			"maps 0/0  reduces 0/0  workers 0 alive  failures 0  elapsed 0s",
		},
		{
			"elapsed derived from start while running",
			Snapshot{
				Job:     Job{Started: t0, State: JobRunning},
				Maps:    Phase{Done: 5, Running: 2, Total: 8},
				Reduces: Phase{Total: 10},
				Workers: []Worker{{ID: 1, State: WorkerBusy}, {ID: 2, State: WorkerIdle}, {ID: 3, State: WorkerBusy}, {ID: 4, State: WorkerExited}},
				Attempts: []Attempt{
					{Outcome: OutcomeFailed}, {Outcome: OutcomeCommitted}, {Outcome: OutcomeIgnored},
					{Outcome: OutcomeSuperseded}, {Outcome: OutcomeRunning},
				},
			},
			at(12.34),
			"maps 5/8 (2 running)  reduces 0/10  workers 3 alive  failures 1  elapsed 12.3s",
		},
		{
			"elapsed derived from start and end when done",
			Snapshot{Job: Job{Started: t0, Ended: at(83.25), State: JobDone}},
			at(1000),
			"maps 0/0  reduces 0/0  workers 0 alive  failures 0  elapsed 1m23.3s",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ProgressLine(tc.snap, tc.now))
		})
	}
}
