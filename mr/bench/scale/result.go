package scale

import (
	"fmt"
	"io"
	"time"
)

// Result holds a run's figures.
type Result struct {
	Workers, Maps, NReduce int
	// Wall is S: from the first hand-out to the coordinator's exit.
	Wall time.Duration
	// Elapsed is the whole run, from the coordinator's start.
	Elapsed time.Duration
	// Committed counts the attempts that committed; HandOuts those handed
	// out, Reruns those beyond a task's first attempt.
	Committed, HandOuts, Reruns int64
	// Revoked is V: attempts of live workers revoked or not committed.
	Revoked int64
	// Superseded counts attempts that lost to a backup of their task.
	Superseded int64
	// Relost counts live workers that the coordinator lost and that
	// registered again.
	Relost int64
	// LocationsChecked counts reduce attempts whose map locations named
	// every map task.
	LocationsChecked int64
	// FailedWorkers counts simulated workers that ended with an error
	// (a call without an answer, a broken connection) although the job
	// ended; FirstError is the first of those errors.
	FailedWorkers int64
	FirstError    error
	// MaxRuns is the most runs of map locations one reduce attempt
	// gathered; LocationPages counts the pages of them asked for after
	// the first, which comes with the assignment.
	MaxRuns, LocationPages int64
	// DroppedTasks is how many tasks the dropped worker held or had
	// committed, DroppedRerun how many of them were handed out again.
	DroppedTasks, DroppedRerun int
	// CoordinatorRSS is the coordinator's peak resident size in bytes,
	// CoordinatorCPU its user and system time.
	CoordinatorRSS int64
	CoordinatorCPU time.Duration
	// SimulatorRSS and SimulatorCPU are this process's.
	SimulatorRSS int64
	SimulatorCPU time.Duration
	// HandOut is the latency of the calls that hand out work, Heartbeat
	// that of heartbeats.
	HandOut, Heartbeat Latency
	// LoadAverage is the machine's one-minute load average at the end.
	LoadAverage string
}

// TasksPerSecond is T: the job's tasks over the wall time.
func (r Result) TasksPerSecond() float64 {
	if r.Wall <= 0 {
		return 0
	}
	return float64(r.Maps+r.NReduce) / r.Wall.Seconds()
}

// mib is a mebibyte, in bytes.
const mib = 1 << 20

// Line returns the run's summary line.
func (r Result) Line() string {
	return fmt.Sprintf("scale: %d workers, %d+%d tasks in %.2f s, %.0f tasks/s, revoked %d, coordinator peak RSS %.1f MiB, CPU %.2f s, p99 RPC %.1f ms",
		r.Workers, r.Maps, r.NReduce, r.Wall.Seconds(), r.TasksPerSecond(), r.Revoked,
		float64(r.CoordinatorRSS)/mib, r.CoordinatorCPU.Seconds(), ms(r.HandOut.P99))
}

// ms returns d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// WriteText writes the run's details and, last, its summary line.
func (r Result) WriteText(w io.Writer) {
	fmt.Fprintf(w, "hand-outs %d (re-runs %d), committed %d, superseded by backups %d, workers lost and re-registered %d, reduce attempts' map locations checked %d (at most %d runs each; %d pages asked for after the first)\n",
		r.HandOuts, r.Reruns, r.Committed, r.Superseded, r.Relost, r.LocationsChecked, r.MaxRuns, r.LocationPages)
	if r.FailedWorkers > 0 {
		fmt.Fprintf(w, "workers failed: %d; the first: %v\n", r.FailedWorkers, r.FirstError)
	}
	if r.DroppedTasks > 0 {
		fmt.Fprintf(w, "dropped worker: %d of its %d tasks (in flight or committed maps) handed out again\n", r.DroppedRerun, r.DroppedTasks)
	}
	for _, l := range []struct {
		name string
		lat  Latency
	}{{"hand-out (GetTask with a task, Report+WantTask)", r.HandOut}, {"heartbeat", r.Heartbeat}} {
		fmt.Fprintf(w, "%s: %d calls, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n", l.name, l.lat.Count, ms(l.lat.P50), ms(l.lat.P99), ms(l.lat.P999))
	}
	fmt.Fprintf(w, "coordinator: CPU %.2f s (%.0f%% of one core over the %.2f s run); simulator: CPU %.2f s (%.0f%%), peak RSS %.1f MiB; load average %s\n",
		r.CoordinatorCPU.Seconds(), percentOf(r.CoordinatorCPU, r.Elapsed), r.Elapsed.Seconds(),
		r.SimulatorCPU.Seconds(), percentOf(r.SimulatorCPU, r.Elapsed), float64(r.SimulatorRSS)/mib, r.LoadAverage)
	fmt.Fprintln(w, r.Line())
}

// percentOf returns part as a percentage of whole.
func percentOf(part, whole time.Duration) float64 {
	if whole <= 0 {
		return 0
	}
	return 100 * part.Seconds() / whole.Seconds()
}
