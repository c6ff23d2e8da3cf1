package coordinator_test

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"6.5840/mr/coordinator"
)

// snapshotMaps and snapshotReduces make the job of BenchmarkSnapshot:
// 51,200 tasks.
const (
	snapshotMaps    = 51_100
	snapshotReduces = 100
)

// BenchmarkSnapshot takes snapshots of a finished job of 51,200 tasks,
// each with one attempt, while another goroutine takes the coordinator's
// lock over and over: max-lock-wait-µs is the longest that goroutine
// waited, which is how long a snapshot holds the lock at a stretch (an RPC
// waits as long).
func BenchmarkSnapshot(b *testing.B) {
	dir := b.TempDir()
	input := filepath.Join(dir, "in.txt")
	if err := os.WriteFile(input, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	inputs := make([]string, snapshotMaps)
	for i := range inputs {
		inputs[i] = input
	}
	cfg := coordinator.DefaultConfig()
	cfg.Inputs, cfg.NReduce, cfg.Dir, cfg.NoJournal = inputs, snapshotReduces, dir, true
	c, err := coordinator.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Finish()
	var wg sync.WaitGroup
	for range fakeWorkers {
		wg.Go(func() { fakeWorker(b, c, dir) })
	}
	wg.Wait()
	<-c.Done()

	stop := make(chan struct{})
	var maxWait time.Duration
	var probe sync.WaitGroup
	probe.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			c.Progress()
			maxWait = max(maxWait, time.Since(start))
		}
	})
	for b.Loop() {
		s := c.Snapshot()
		if len(s.Tasks) != snapshotMaps+snapshotReduces {
			b.Fatalf("snapshot of %d tasks, want %d", len(s.Tasks), snapshotMaps+snapshotReduces)
		}
	}
	close(stop)
	probe.Wait()
	b.ReportMetric(float64(maxWait.Microseconds()), "max-lock-wait-µs")
}
