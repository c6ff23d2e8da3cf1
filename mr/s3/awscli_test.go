package s3_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
	"6.5840/mr/s3/s3test"
)

// awsCLI runs the AWS CLI against srv; the keys go in its environment,
// never its arguments.
func awsCLI(t *testing.T, srv *s3test.Server, args ...string) {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", srv.Endpoint}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+srv.Credentials.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+srv.Credentials.SecretAccessKey, "AWS_DEFAULT_REGION="+srv.Region,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "aws %v: %s", args, stderr.String())
}

// TestAWSCLIReadsAndWrites: an object this client wrote by multipart
// upload is read back byte for byte by the AWS CLI, and one the CLI
// wrote (itself in parts) is read by this client.
func TestAWSCLIReadsAndWrites(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("SKIP: aws (the AWS CLI) not found; it is the independent client of this test")
	}
	srv := s3test.Start(t)
	c := newClient(t, srv, func(cfg *s3.Config) { cfg.PartSize = s3.MinPartSize })
	ctx := context.Background()
	dir := t.TempDir()

	ours := randomBytes(6, 2*s3.MinPartSize+777)
	w, err := c.NewWriter(ctx, bucket, "ours/mr-out-0")
	require.NoError(t, err)
	_, err = w.Write(ours)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	copied := filepath.Join(dir, "copied")
	awsCLI(t, srv, "s3", "cp", "--only-show-errors", "s3://"+bucket+"/ours/mr-out-0", copied)
	got, err := os.ReadFile(copied)
	require.NoError(t, err)
	require.True(t, bytes.Equal(ours, got), "aws read %d bytes, want %d", len(got), len(ours))

	theirs := randomBytes(7, 9<<20) // above the CLI's 8 MiB multipart threshold
	src := filepath.Join(dir, "theirs")
	require.NoError(t, os.WriteFile(src, theirs, 0o600))
	awsCLI(t, srv, "s3", "cp", "--only-show-errors", src, "s3://"+bucket+"/theirs/input.txt")
	requireObject(t, c, "theirs/input.txt", theirs)
	list, err := c.ListObjects(ctx, bucket, "theirs/")
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, int64(len(theirs)), list[0].Size)
}
