package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"6.5840/mr/bench/corpus"
	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
)

// The corpus and shape of BenchmarkBucketWordCount: the benchmark
// corpus's Zipf words, small enough that uploading it takes seconds.
const (
	bucketBenchSize    = 64 << 20
	bucketBenchFiles   = 8
	bucketBenchSeed    = 1
	bucketBenchWorkers = 2
	bucketBenchNReduce = "4"
)

// BenchmarkBucketWordCount runs the same word count (wc.so, a
// coordinator and bucketBenchWorkers workers over loopback TCP, each
// worker with a private -local-dir) twice an iteration: on local files,
// and with inputs and outputs in the local S3 server's bucket. It reports
// both wall times (the coordinator's start to its exit) and their ratio,
// bucket over local; the two answers must be the same.
func BenchmarkBucketWordCount(b *testing.B) {
	spec, err := corpus.NewSpec(bucketBenchSize, bucketBenchFiles, bucketBenchSeed)
	require.NoError(b, err)
	dir := b.TempDir()
	require.NoError(b, corpus.Generate(dir, spec))
	srv := s3test.Start(b)
	client := srv.Client(b)
	ctx := context.Background()
	for _, path := range spec.Paths(dir) {
		data, err := os.ReadFile(path)
		require.NoError(b, err)
		_, err = client.PutObject(ctx, bucket, "in/"+filepath.Base(path), data, s3.PutOptions{})
		require.NoError(b, err)
	}
	var local, remote time.Duration
	for b.Loop() {
		lj := bucketJobOn(b, srv)
		lj.inputs = spec.Paths(dir)
		local += lj.timedRun(false)
		localOut := lj.job.output()

		rj := bucketJobOn(b, srv)
		remote += rj.timedRun(true)
		require.Equal(b, localOut, rj.sortedLines("out/"), "the answers differ")
		for key := range rj.objects("out/") {
			require.NoError(b, client.DeleteObject(ctx, bucket, key))
		}
	}
	b.ReportMetric(local.Seconds()/float64(b.N), "local-s/op")
	b.ReportMetric(remote.Seconds()/float64(b.N), "bucket-s/op")
	b.ReportMetric(remote.Seconds()/local.Seconds(), "bucket/local")
}

// timedRun runs the job, its output in out/ if toBucket, else in its
// folder, and returns the coordinator's wall time.
func (b *bucketJob) timedRun(toBucket bool) time.Duration {
	args := []string{"-q", "-addr", "tcp:127.0.0.1:0", "-secret-file", b.secret, "-nreduce", bucketBenchNReduce}
	if toBucket {
		args = append(args, "-output", "s3://"+bucket+"/out/")
	}
	start := time.Now()
	c := b.job.coordinator(args...)
	addr := b.waitForAddr(c)
	var workers []*proc
	for range bucketBenchWorkers {
		var w *proc
		if toBucket {
			w, _ = b.worker(addr)
		} else {
			// Local outputs go to the coordinator's folder: the
			// workers share it.
			w = b.job.start("mrworker", nil, "-addr", addr, "-secret-file", b.secret, "-local-dir", b.t.TempDir(), filepath.Join(bin, "wc.so"))
		}
		workers = append(workers, w)
	}
	err := c.wait(b.t)
	wall := time.Since(start)
	require.NoError(b.t, err, c.log())
	for _, w := range workers {
		require.NoError(b.t, w.wait(b.t), w.log())
	}
	return wall
}
