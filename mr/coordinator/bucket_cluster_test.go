package coordinator_test

import (
	"context"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr"
	"6.5840/mr/coordinator"
	"6.5840/mr/jobfiles"
	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
	"6.5840/mr/sequential"
	"6.5840/mr/task"
	"6.5840/mr/worker"
)

const (
	bucket       = s3test.Bucket
	inputPrefix  = "s3://" + bucket + "/in/"
	outputPrefix = "s3://" + bucket + "/out/"
)

// bucketCluster is a cluster whose inputs and outputs are in a bucket:
// texts under in/, outputs under out/.
type bucketCluster struct {
	*cluster
	s3 *s3.Client
}

func newBucketCluster(t *testing.T, srv *s3test.Server, nReduce int, options ...func(*coordinator.Config)) *bucketCluster {
	client := srv.Client(t)
	for name, text := range texts {
		_, err := client.PutObject(context.Background(), bucket, "in/"+name, []byte(text), s3.PutOptions{})
		require.NoError(t, err)
	}
	cfg := coordinator.DefaultConfig()
	cfg.NReduce, cfg.Dir, cfg.Logger = nReduce, t.TempDir(), testLogger(t).With("side", "coordinator")
	cfg.Inputs, cfg.Output, cfg.S3 = []string{inputPrefix}, outputPrefix, client
	for _, o := range options {
		o(&cfg)
	}
	cl := &cluster{t: t, dir: cfg.Dir, cfg: cfg}
	cl.restart()
	return &bucketCluster{cluster: cl, s3: client}
}

// withBucket gives a worker the bucket's client.
func (b *bucketCluster) withBucket(c *worker.Config) { c.S3 = b.s3 }

// output returns the sorted lines of every object under out/.
func (b *bucketCluster) output() []string {
	ctx := context.Background()
	objects, err := b.s3.ListObjects(ctx, bucket, "out/")
	require.NoError(b.t, err)
	var lines []string
	for _, o := range objects {
		r, err := b.s3.NewReader(ctx, bucket, o.Key, 0, -1, s3.ReadOptions{})
		require.NoError(b.t, err)
		data, err := io.ReadAll(r)
		require.NoError(b.t, err)
		r.Close()
		lines = append(lines, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	slices.Sort(lines)
	return slices.DeleteFunc(lines, func(s string) bool { return s == "" })
}

// wantWordCount returns the sorted lines of the sequential word count of
// texts.
func wantWordCount(t *testing.T) []string {
	dir := t.TempDir()
	var inputs []string
	for name, text := range texts {
		inputs = append(inputs, filepath.Join(dir, name))
		require.NoError(t, os.WriteFile(inputs[len(inputs)-1], []byte(text), 0o644))
	}
	out := filepath.Join(dir, "want")
	require.NoError(t, sequential.Run(wordCount, inputs, out))
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	slices.Sort(lines)
	return lines
}

// pendingUploads returns the keys of the uploads pending under out/.
func (b *bucketCluster) pendingUploads() []string {
	pending, err := b.s3.ListUploads(context.Background(), bucket, "out/")
	require.NoError(b.t, err)
	var keys []string
	for _, p := range pending {
		keys = append(keys, p.Key)
	}
	return keys
}

func TestBucketJobMatchesSequential(t *testing.T) {
	for _, split := range []int64{0, 8} {
		t.Run(fmt.Sprintf("split=%d", split), func(t *testing.T) {
			srv := s3test.Start(t)
			b := newBucketCluster(t, srv, 3, func(c *coordinator.Config) { c.SplitSize = split })
			var results []<-chan error
			for range 2 {
				results = append(results, b.startWorker(wordCount, nil, b.withBucket))
			}
			for _, r := range results {
				require.NoError(t, <-r)
			}
			require.NoError(t, b.c().Finish())
			require.Equal(t, wantWordCount(t), b.output())
			objects, err := b.s3.ListObjects(context.Background(), bucket, "out/")
			require.NoError(t, err)
			require.Len(t, objects, 3, "one object a reduce task, nothing else")
			for r, o := range objects {
				require.Equal(t, "out/"+jobfiles.Output(r), o.Key)
			}
			require.Empty(t, b.pendingUploads())
			_, err = os.Stat(filepath.Join(b.dir, jobfiles.Journal))
			require.True(t, os.IsNotExist(err), "a job done removes its journal: %v", err)
		})
	}
}

func TestFailedBucketJobRemovesItsOutputsAndResumes(t *testing.T) {
	srv := s3test.Start(t)
	b := newBucketCluster(t, srv, 3, func(c *coordinator.Config) { c.MaxFailures = 0 })
	maps, reduces := &mapCounter{}, &reduceCounter{nReduce: 3}
	poisoned := reduces.wrap(maps.wrap(wordCount))
	good := poisoned.Reduce
	poisoned.Reduce = func(key string, values []string) string {
		if mr.Hash(key)%3 == 1 {
			panic("poison key " + key)
		}
		return good(key, values)
	}
	require.ErrorIs(t, <-b.startWorker(poisoned, nil, b.withBucket), worker.ErrJobFailed)
	err := b.c().Finish()
	require.ErrorContains(t, err, "reduce-1 failed 1 times")
	require.Positive(t, reduces.count(0), "reduce 0 committed before the job failed")
	require.Empty(t, b.output(), "a failed job leaves no part of an answer under the prefix")
	require.Empty(t, b.pendingUploads())

	// An output no line of the journal names is another job's: the
	// resumed job refuses to start beside it, and leaves it.
	ctx := context.Background()
	_, err = b.s3.PutObject(ctx, bucket, "out/"+jobfiles.Output(2), []byte("unvouched\n"), s3.PutOptions{})
	require.NoError(t, err)
	_, err = coordinator.New(b.cfg)
	require.ErrorContains(t, err, outputPrefix+"mr-out-2, which no line of mr-journal says this job wrote")
	_, err = b.s3.HeadObject(ctx, bucket, "out/"+jobfiles.Output(2))
	require.NoError(t, err)

	// A completion whose commit line never reached the journal (the
	// coordinator died between the two; its completing line did): the
	// resumed job removes it and runs its reduce again.
	appendJournalLine(t, filepath.Join(b.dir, jobfiles.Journal), fmt.Sprintf(`{"kind":%d,"task":2,"attempt":9,"completing":true}`, task.Reduce))
	b.restart()
	require.NoError(t, <-b.startWorker(reduces.wrap(maps.wrap(wordCount)), nil, b.withBucket))
	require.NoError(t, b.c().Finish())
	for name := range texts {
		require.Equal(t, 1, maps.count(name), "%s mapped again after the resume", name)
	}
	require.Equal(t, wantWordCount(t), b.output())
	require.Empty(t, b.pendingUploads())
}

func TestBucketJobChecksItsBucketsAtStart(t *testing.T) {
	srv := s3test.Start(t)
	client := srv.Client(t)
	ctx := context.Background()
	_, err := client.PutObject(ctx, bucket, "in/a.txt", []byte("a\n"), s3.PutOptions{})
	require.NoError(t, err)
	badConfig := srv.Config()
	badConfig.Credentials.SecretAccessKey = "not" + badConfig.Credentials.SecretAccessKey
	wrongKey, err := s3.New(badConfig)
	require.NoError(t, err)
	for _, tc := range []struct {
		name           string
		inputs         []string
		output         string
		client         *s3.Client
		want, sentinel error
		wantText       string
	}{
		{name: "wrong credentials", inputs: []string{inputPrefix}, client: wrongKey,
			sentinel: s3.ErrAccessDenied, wantText: bucket},
		{name: "missing input bucket", inputs: []string{"s3://no-such-bucket/in/"}, client: client,
			sentinel: s3.ErrNoSuchBucket, wantText: "input s3://no-such-bucket/in/"},
		{name: "missing output bucket", inputs: []string{inputPrefix}, output: "s3://no-such-bucket/out/", client: client,
			sentinel: s3.ErrNoSuchBucket, wantText: "-output s3://no-such-bucket/out/"},
		{name: "empty prefix", inputs: []string{"s3://" + bucket + "/nothing/"}, client: client,
			wantText: "input s3://" + bucket + "/nothing/: no objects under the prefix"},
		{name: "output not a prefix", inputs: []string{inputPrefix}, output: "s3://" + bucket + "/out", client: client,
			wantText: "end it with a slash"},
		{name: "no client", inputs: []string{inputPrefix},
			wantText: "need an S3 client"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := coordinator.DefaultConfig()
			cfg.Inputs, cfg.Output, cfg.S3, cfg.Dir = tc.inputs, tc.output, tc.client, t.TempDir()
			_, err := coordinator.New(cfg)
			require.Error(t, err)
			if tc.sentinel != nil {
				require.ErrorIs(t, err, tc.sentinel)
			}
			require.ErrorContains(t, err, tc.wantText)
			require.NotContains(t, err.Error(), srv.Credentials.SecretAccessKey)
		})
	}

	// Outputs of another job under the prefix: refused, and kept.
	_, err = client.PutObject(ctx, bucket, "out/mr-out-7", []byte("old\n"), s3.PutOptions{})
	require.NoError(t, err)
	cfg := coordinator.DefaultConfig()
	cfg.Inputs, cfg.Output, cfg.S3, cfg.Dir = []string{inputPrefix}, outputPrefix, client, t.TempDir()
	for range 2 {
		_, err = coordinator.New(cfg)
		require.ErrorContains(t, err, "holds outputs of another job: "+outputPrefix+"mr-out-7",
			"a refused start leaves nothing that makes the next one a resume")
		_, err = client.HeadObject(ctx, bucket, "out/mr-out-7")
		require.NoError(t, err, "another job's output stays")
	}
	_, err = os.Stat(filepath.Join(cfg.Dir, jobfiles.Journal))
	require.True(t, os.IsNotExist(err), "a refused start writes no journal: %v", err)
	pending, err := client.ListUploads(ctx, bucket, "out/")
	require.NoError(t, err)
	require.Empty(t, pending, "the start check leaves no upload behind")
}

func TestObjectDeletedAfterListingFailsItsMapTask(t *testing.T) {
	srv := s3test.Start(t)
	b := newBucketCluster(t, srv, 2, func(c *coordinator.Config) { c.MaxFailures = 1 })
	require.NoError(t, b.s3.DeleteObject(context.Background(), bucket, "in/two.txt"))
	require.ErrorIs(t, <-b.startWorker(wordCount, nil, b.withBucket), worker.ErrJobFailed)
	err := b.c().Finish()
	require.ErrorContains(t, err, "(input s3://"+bucket+"/in/two.txt) failed 2 times")
	require.ErrorContains(t, err, "s3 HeadObject s3://"+bucket+"/in/two.txt: 404 NoSuchKey")
	require.ErrorContains(t, err, "the reduce outputs are removed from "+outputPrefix)
	require.Empty(t, b.output(), "a failed job leaves no part of an answer")
	require.Empty(t, b.pendingUploads())
}

// appendJournalLine appends a record to the journal at path, with its
// checksum, as the coordinator writes them.
func appendJournalLine(t *testing.T, path, record string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	require.NoError(t, err)
	_, err = fmt.Fprintf(f, "%08x %s\n", crc32.Checksum([]byte(record), crc32.MakeTable(crc32.Castagnoli)), record)
	require.NoError(t, err)
	require.NoError(t, f.Close())
}
