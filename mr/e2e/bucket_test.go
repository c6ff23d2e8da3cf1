package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
	"6.5840/mr/status"
)

const bucket = s3test.Bucket

// bucketJob is a job whose inputs (in/) and outputs (out/) are in a
// bucket of a local S3 server. The coordinator and every worker run in
// folders of their own, sharing none; they find the server and its keys
// in their environment, never on their command line.
type bucketJob struct {
	*job
	srv    *s3test.Server
	s3     *s3.Client
	secret string
}

func newBucketJob(t testing.TB, texts ...string) *bucketJob {
	b := bucketJobOn(t, s3test.Start(t))
	for _, name := range texts {
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
		require.NoError(t, err)
		_, err = b.s3.PutObject(context.Background(), bucket, "in/"+name, data, s3.PutOptions{})
		require.NoError(t, err)
	}
	return b
}

// bucketJobOn returns a job of the objects under in/ on srv.
func bucketJobOn(t testing.TB, srv *s3test.Server) *bucketJob {
	b := &bucketJob{job: newJob(t), srv: srv, s3: srv.Client(t), secret: writeSecret(t)}
	b.inputs = []string{"s3://" + bucket + "/in/"}
	b.env = append(b.env, b.awsEnv()...)
	return b
}

// awsEnv is the environment that points a client at the server.
func (b *bucketJob) awsEnv() []string {
	missing := filepath.Join(b.t.TempDir(), "none")
	return []string{"AWS_ACCESS_KEY_ID=" + b.srv.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + b.srv.Credentials.SecretAccessKey, "AWS_REGION=" + b.srv.Region,
		"AWS_DEFAULT_REGION=" + b.srv.Region, "AWS_ENDPOINT_URL=" + b.srv.Endpoint,
		"AWS_CONFIG_FILE=" + missing, "AWS_SHARED_CREDENTIALS_FILE=" + missing}
}

// coordinator starts the coordinator over TCP with the output in out/.
func (b *bucketJob) coordinator(args ...string) (*proc, string) {
	c := b.job.coordinator(append([]string{"-addr", "tcp:127.0.0.1:0", "-secret-file", b.secret,
		"-output", "s3://" + bucket + "/out/"}, args...)...)
	return c, b.waitForAddr(c)
}

// worker starts a worker of wc.so at addr in a folder of its own, with
// its map output in another; it returns the process and both folders.
func (b *bucketJob) worker(addr string, env ...string) (*proc, string) {
	own := &job{t: b.t, dir: b.t.TempDir(), env: b.env}
	local := b.t.TempDir()
	p := own.start("mrworker", env, "-addr", addr, "-secret-file", b.secret, "-local-dir", local, filepath.Join(bin, "wc.so"))
	return p, local
}

// aws runs the AWS CLI with the server's environment and returns its
// standard output.
func (b *bucketJob) aws(args ...string) []byte {
	b.t.Helper()
	cmd := exec.Command("aws", args...)
	cmd.Env = append(os.Environ(), b.awsEnv()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(b.t, cmd.Run(), "aws %v: %s", args, stderr.String())
	return stdout.Bytes()
}

// objects returns the contents of every object under prefix, by key.
func (b *bucketJob) objects(prefix string) map[string][]byte {
	ctx := context.Background()
	list, err := b.s3.ListObjects(ctx, bucket, prefix)
	require.NoError(b.t, err)
	out := make(map[string][]byte)
	for _, o := range list {
		r, err := b.s3.NewReader(ctx, bucket, o.Key, 0, -1, s3.ReadOptions{})
		require.NoError(b.t, err)
		var buf bytes.Buffer
		_, err = buf.ReadFrom(r)
		require.NoError(b.t, err)
		r.Close()
		out[o.Key] = buf.Bytes()
	}
	return out
}

// sortedLines returns the sorted lines of every object under prefix.
func (b *bucketJob) sortedLines(prefix string) []string {
	var lines []string
	for _, data := range b.objects(prefix) {
		lines = append(lines, splitLines(data)...)
	}
	slices.Sort(lines)
	return lines
}

// want runs mrsequential of wc.so on the bucket's inputs with its
// output in want/, and returns its sorted lines.
func (b *bucketJob) want() []string { return b.wantOf("wc.so") }

// wantOf runs mrsequential of plugin, with env, on the bucket's inputs
// with its output in want/, and returns its sorted lines.
func (b *bucketJob) wantOf(plugin string, env ...string) []string {
	own := &job{t: b.t, dir: b.t.TempDir(), env: b.env}
	p := own.start("mrsequential", env, "-output", "s3://"+bucket+"/want/", filepath.Join(bin, plugin), b.inputs[0])
	require.NoError(b.t, p.wait(b.t), "mrsequential: %s", p.log())
	empty(b.t, own.dir)
	return b.sortedLines("want/")
}

// uploadedParts returns how many parts the pending uploads hold in all.
func (b *bucketJob) uploadedParts() int {
	ctx := context.Background()
	pending, err := b.s3.ListUploads(ctx, bucket, "")
	require.NoError(b.t, err)
	n := 0
	for _, p := range pending {
		parts, err := b.s3.ListParts(ctx, s3.Upload{Bucket: bucket, Key: p.Key, UploadID: p.UploadID})
		require.NoError(b.t, err)
		n += len(parts)
	}
	return n
}

// pendingUploads returns the keys of the uploads pending in the bucket.
func (b *bucketJob) pendingUploads() []string {
	pending, err := b.s3.ListUploads(context.Background(), bucket, "")
	require.NoError(b.t, err)
	var keys []string
	for _, p := range pending {
		keys = append(keys, p.Key)
	}
	return keys
}

// skipWithoutAWSCLI skips a test that reads with the AWS CLI when it is
// missing.
func skipWithoutAWSCLI(t testing.TB) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("SKIP: aws (the AWS CLI) not found; it is the independent reader of this test")
	}
}

func TestBucketWordCount(t *testing.T) {
	t.Parallel()
	skipWithoutAWSCLI(t)
	b := newBucketJob(t, threeTexts...)
	c, addr := b.coordinator("-nreduce", "4", "-split-size", "64KiB", "-report", "s3://"+bucket+"/reports/mr-report")
	var workers []*proc
	var locals []string
	for range 3 {
		w, local := b.worker(addr)
		workers, locals = append(workers, w), append(locals, local)
	}
	require.NoError(t, c.wait(t), c.log())
	for _, w := range workers {
		require.NoError(t, w.wait(t))
	}
	require.Equal(t, b.want(), b.sortedLines("out/"))
	outputs := b.objects("out/")
	require.Len(t, outputs, 4)
	for r := range 4 {
		key := fmt.Sprintf("out/mr-out-%d", r)
		copied := b.aws("s3", "cp", "--only-show-errors", "s3://"+bucket+"/"+key, "-")
		require.True(t, bytes.Equal(outputs[key], copied), "aws s3 cp reads %s as %d bytes, the client as %d", key, len(copied), len(outputs[key]))
	}
	require.Empty(t, b.pendingUploads(), "no upload is left pending")
	require.Equal(t, "0", strings.TrimSpace(string(b.aws("s3api", "list-multipart-uploads", "--bucket", bucket, "--prefix", "out/",
		"--query", "length(Uploads || `[]`)", "--output", "text"))), "the AWS CLI finds no upload pending either")
	empty(t, b.dir) // the journal is gone, the report in the bucket
	reports := b.objects("reports/")
	require.Contains(t, reports, "reports/mr-report.html")
	var report status.Snapshot
	require.NoError(t, json.Unmarshal(reports["reports/mr-report.json"], &report))
	require.Len(t, report.Workers, 3)
	require.Equal(t, 4, report.Reduces.Done)
	for _, local := range locals {
		empty(t, local)
	}
	require.Contains(t, c.log(), "s3://"+bucket+"/out/mr-out-0..mr-out-3")
	for _, p := range append(workers, c) {
		require.NotContains(t, p.log(), b.srv.Credentials.SecretAccessKey)
	}
}

func TestBucketReducerKilledBeforeReporting(t *testing.T) {
	t.Parallel()
	b := newBucketJob(t, threeTexts...)
	c, addr := b.coordinator("-nreduce", "2")
	probeDir := t.TempDir()
	gate := filepath.Join(probeDir, "gate")
	// Each output line is padded to about 4 KiB, so the stuck reducer has
	// written more than one part (8 MiB) before its call 2,500 waits at a
	// gate that never opens: it has uploaded parts and never reports.
	const pad, keysBeforeGate = 4 << 10, 2500
	padding := fmt.Sprintf("PROBE_REDUCE_PAD=%d", pad)
	own := &job{t: t, dir: t.TempDir(), env: b.env}
	stuck := own.start("mrworker", []string{"PROBE_DIR=" + probeDir, "PROBE_REDUCE_GATE=" + gate,
		fmt.Sprintf("PROBE_REDUCE_GATE_AFTER=%d", keysBeforeGate), padding},
		"-addr", addr, "-secret-file", b.secret, "-local-dir", t.TempDir(), filepath.Join(bin, "probe.so"))
	b.waitFor("a reducer at the gate", func() bool {
		m, _ := filepath.Glob(filepath.Join(probeDir, "probe-reduce-waiting-*"))
		return len(m) > 0
	})
	b.waitFor("the stuck reducer's first part", func() bool { return b.uploadedParts() > 0 })
	stuck.signal(t, syscall.SIGKILL)
	other := own.start("mrworker", []string{"PROBE_DIR=" + probeDir, padding},
		"-addr", addr, "-secret-file", b.secret, "-local-dir", t.TempDir(), filepath.Join(bin, "probe.so"))
	require.NoError(t, c.wait(t), c.log())
	require.NoError(t, other.wait(t))
	want, got := b.wantOf("probe.so", padding), b.sortedLines("out/")
	require.Greater(t, len(want), keysBeforeGate)
	require.True(t, slices.Equal(want, got), "the bucket's %d lines differ from mrsequential's %d", len(got), len(want))
	require.Empty(t, b.pendingUploads(), "the killed reducer's upload is aborted at the end of the job")
	require.Contains(t, c.log(), "aborted pending uploads left by attempts that did not commit")
}

func TestBucketStartChecks(t *testing.T) {
	t.Parallel()
	b := newBucketJob(t, "pg-metamorphosis.txt")
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{name: "wrong credentials", env: []string{"AWS_SECRET_ACCESS_KEY=wrong"},
			args: []string{"s3://" + bucket + "/in/"}, want: "input s3://" + bucket + "/in/: s3 ListObjectsV2"},
		{name: "missing bucket", args: []string{"s3://no-such-bucket/in/"}, want: "input s3://no-such-bucket/in/"},
		{name: "missing output bucket", args: []string{"-output", "s3://no-such-bucket/out/", "s3://" + bucket + "/in/"},
			want: "-output s3://no-such-bucket/out/: cannot write there"},
		{name: "empty prefix", args: []string{"s3://" + bucket + "/nothing/"},
			want: "input s3://" + bucket + "/nothing/: no objects under the prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			own := &job{t: t, dir: t.TempDir(), env: b.env}
			p := own.start("mrcoordinator", tc.env, append([]string{"-addr", "tcp:127.0.0.1:0", "-secret-file", b.secret}, tc.args...)...)
			require.Equal(t, 2, exitCode(p.wait(t)), p.log())
			require.Contains(t, p.log(), tc.want)
			require.NotContains(t, p.log(), b.srv.Credentials.SecretAccessKey)
			require.NotContains(t, p.log(), "coordinator listening", "nothing runs before the checks pass")
		})
	}
	require.Empty(t, b.pendingUploads())
}

// TestBucketServerRestartedMidJob is not parallel: its server restarts on
// the port it had, which a server started meanwhile could take.
func TestBucketServerRestartedMidJob(t *testing.T) {
	b := newBucketJob(t, threeTexts...)
	c, addr := b.coordinator("-nreduce", "3", "-max-failures", "-1")
	probeDir := t.TempDir()
	gate := filepath.Join(probeDir, "gate")
	own := &job{t: t, dir: t.TempDir(), env: b.env}
	w := own.start("mrworker", []string{"PROBE_DIR=" + probeDir, "PROBE_REDUCE_GATE=" + gate},
		"-addr", addr, "-secret-file", b.secret, "-local-dir", t.TempDir(), filepath.Join(bin, "probe.so"))
	b.waitFor("a reducer at the gate", func() bool {
		m, _ := filepath.Glob(filepath.Join(probeDir, "probe-reduce-waiting-*"))
		return len(m) > 0
	})
	// The server goes away under a reducer that has begun its upload; the
	// reducer goes on and fails to finish it.
	b.srv.Stop()
	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	b.waitFor("a reduce attempt to fail", func() bool { return strings.Contains(c.log(), `msg="attempt failed"`) })
	require.NoError(t, b.srv.Restart())
	require.NoError(t, c.wait(t), c.log())
	require.NoError(t, w.wait(t))
	require.Equal(t, b.want(), b.sortedLines("out/"))
	require.Len(t, b.objects("out/"), 3)
	require.Empty(t, b.pendingUploads(), "the failed attempts' uploads are aborted")
}
