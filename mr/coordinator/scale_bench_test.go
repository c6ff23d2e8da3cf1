package coordinator_test

import (
	"fmt"
	"net"
	"net/rpc"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"6.5840/mr/coordinator"
	"6.5840/mr/jobfiles"
	"6.5840/mr/protocol"
	mrtask "6.5840/mr/task"
)

// fakeWorkers is how many in-process workers drive the coordinator.
const fakeWorkers = 4

// BenchmarkCoordinatorScale runs whole jobs of M map and R reduce tasks
// against fake workers that finish every task at once, over net/rpc on
// net.Pipe. It reports RPCs per second and the heap the coordinator holds
// at the end of the job, per task, to show that its state is O(M+R).
func BenchmarkCoordinatorScale(b *testing.B) {
	for _, size := range []struct {
		maps, reduces int
		journal       bool
	}{
		{10_000, 100, true},
		{10_000, 100, false},
		{100_000, 1_000, false},
	} {
		name := fmt.Sprintf("M=%d/R=%d/journal=%v", size.maps, size.reduces, size.journal)
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			input := filepath.Join(dir, "in.txt")
			if err := os.WriteFile(input, []byte("x"), 0o644); err != nil {
				b.Fatal(err)
			}
			inputs := make([]string, size.maps)
			for i := range inputs {
				inputs[i] = input
			}
			var calls atomic.Int64
			var heap uint64
			for b.Loop() {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				cfg := coordinator.DefaultConfig()
				cfg.Inputs, cfg.NReduce, cfg.Dir, cfg.NoJournal = inputs, size.reduces, dir, !size.journal
				c, err := coordinator.New(cfg)
				if err != nil {
					b.Fatal(err)
				}
				var wg sync.WaitGroup
				for range fakeWorkers {
					wg.Go(func() { calls.Add(int64(fakeWorker(b, c, dir))) })
				}
				wg.Wait()
				<-c.Done()
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				heap = after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
				runtime.KeepAlive(c)
				if err := c.Finish(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(calls.Load())/b.Elapsed().Seconds(), "rpcs/s")
			b.ReportMetric(float64(size.maps+size.reduces)*float64(b.N)/b.Elapsed().Seconds(), "tasks/s")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			b.ReportMetric(float64(heap)/float64(size.maps+size.reduces), "heap-B/task")
		})
	}
}

// fakeWorker registers and then commits every task it is given at once
// (staging an empty output for a reduce task), until told to exit. It
// returns the number of RPCs it made.
func fakeWorker(b *testing.B, c *coordinator.Coordinator, dir string) int {
	client, server := net.Pipe()
	go c.ServeConn(server)
	rc := rpc.NewClient(client)
	defer rc.Close()
	var reg protocol.RegisterReply
	if err := rc.Call(protocol.MethodRegister, &protocol.RegisterArgs{Host: "bench"}, &reg); err != nil {
		b.Error(err)
		return 0
	}
	calls := 1
	header := protocol.Header{Worker: reg.Worker, Epoch: reg.Epoch, Session: reg.Session}
	for {
		var task protocol.GetTaskReply
		if err := rc.Call(protocol.MethodGetTask, &protocol.GetTaskArgs{Header: header}, &task); err != nil {
			b.Error(err)
			return calls
		}
		calls++
		switch task.Action {
		case protocol.ActionExit:
			return calls
		case protocol.ActionRun:
			if task.Attempt.Task.Kind == mrtask.Reduce {
				staged := filepath.Join(dir, jobfiles.StagedOutput(task.Attempt.Task.Index, task.Attempt.Attempt))
				if err := os.WriteFile(staged, nil, 0o644); err != nil {
					b.Error(err)
					return calls
				}
			}
			var out protocol.ReportReply
			args := protocol.ReportArgs{Header: header, Attempt: task.Attempt}
			if err := rc.Call(protocol.MethodReport, &args, &out); err != nil {
				b.Error(err)
				return calls
			}
			calls++
		}
	}
}
