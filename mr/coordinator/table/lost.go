package table

import (
	"fmt"
	"time"

	"6.5840/mr/task"
)

// LoseOutput records that map attempt lost committed an output that
// cannot be read, for reason. The map task goes back to idle, ahead of any
// reduce task, its counters are taken back from the totals, and the loss
// counts as a failure of the map task: an output lost more often than the
// policy allows fails the job, naming the input. It does not skip the
// input, even with skipBadInputs: the input is not to blame.
func (t *Table) LoseOutput(lost task.AttemptID, reason string, now time.Time) Decision {
	e := t.entry(lost.Task)
	if e == nil || lost.Task.Kind != task.Map || e.state != StateDone || e.skipped || int(e.committed) != lost.Attempt || t.Over() {
		return DecisionIgnored
	}
	t.history.lost(t.record(lost), now, reason)
	s := &t.maps
	s.done--
	e.committed, e.committedWorker = 0, 0
	t.takeBack(e)
	t.mapsRerun++
	t.changes.Lost = append(t.changes.Lost, lost)
	t.mapCommitChanges = append(t.mapCommitChanges, e.id.Index)
	t.recordFailure(e, fmt.Sprintf("output of attempt %d lost: %s", lost.Attempt, reason), false, now)
	return DecisionRerun
}

// LoseServer records that server, where committed map outputs are
// served, is gone, for reason: every map output it served is lost (see
// LoseOutput) and its map task runs again, unless the job is over. It
// returns the map attempts whose outputs were lost, in task order. The
// shared folder ("") is never lost.
func (t *Table) LoseServer(server string, reason string, now time.Time) []task.AttemptID {
	if server == "" {
		return nil
	}
	var lost []task.AttemptID
	for m := range t.maps.tasks {
		e := &t.maps.tasks[m]
		if e.state != StateDone || e.skipped || e.server != server {
			continue
		}
		id := task.AttemptID{Task: e.id, Attempt: int(e.committed)}
		if t.LoseOutput(id, reason, now) == DecisionRerun {
			lost = append(lost, id)
		}
	}
	return lost
}
