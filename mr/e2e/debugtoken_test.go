package e2e

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/auth"
)

// TestDebugTokenFromTheBinary: mrcoordinator -debug-token prints the
// status page's token for a secret of any accepted size, the secret never
// on a command line; a file it cannot use is named, exit 2.
func TestDebugTokenFromTheBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	secret := make([]byte, auth.MaxSecretLen)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, secret, 0o600))
	loaded, err := auth.LoadSecret(path)
	require.NoError(t, err)

	out, err := exec.Command(filepath.Join(bin, "mrcoordinator"), "-debug-token", "-secret-file", path).Output()
	require.NoError(t, err)
	require.Equal(t, loaded.Token(auth.PurposeDebug)+"\n", string(out))

	missing := filepath.Join(dir, "missing")
	cmd := exec.Command(filepath.Join(bin, "mrcoordinator"), "-debug-token", "-secret-file", missing)
	msg, err := cmd.CombinedOutput()
	require.Equal(t, 2, exitCode(err))
	require.True(t, strings.Contains(string(msg), missing), "%s", msg)
}
