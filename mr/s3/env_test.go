package s3_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"6.5840/mr/s3"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, path, text string, mode os.FileMode) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte(text), mode))
	require.NoError(t, os.Chmod(path, mode))
}

const (
	credentialsText = "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = secret-default\n\n" +
		"[work]\naws_access_key_id=AKIDWORK\naws_secret_access_key=secret-work\naws_session_token = token-work\n"
	configText = "[default]\nregion = eu-west-1\n[profile work]\nregion = ap-south-1\ns3 =\n  addressing_style = path\n" +
		"[profile inconfig]\naws_access_key_id = AKIDCONF\naws_secret_access_key = secret-conf\n"
)

func TestFromEnv(t *testing.T) {
	home := t.TempDir()
	writeFile(t, filepath.Join(home, ".aws/credentials"), credentialsText, 0o600)
	writeFile(t, filepath.Join(home, ".aws/config"), configText, 0o600)
	for _, tc := range []struct {
		name              string
		env               map[string]string
		keyID, region, ep string
		token             string
	}{
		{name: "default profile", env: map[string]string{}, keyID: "AKIDDEFAULT", region: "eu-west-1"},
		{name: "named profile", env: map[string]string{"AWS_PROFILE": "work"}, keyID: "AKIDWORK", region: "ap-south-1", token: "token-work"},
		{name: "credentials in the config file", env: map[string]string{"AWS_PROFILE": "inconfig"}, keyID: "AKIDCONF", region: "us-east-1"},
		{name: "environment first", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "s",
			"AWS_PROFILE": "work", "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-north-1"}, keyID: "AKIDENV", region: "us-west-2"},
		{name: "default region", env: map[string]string{"AWS_DEFAULT_REGION": "eu-north-1"}, keyID: "AKIDDEFAULT", region: "eu-north-1"},
		{name: "endpoint for s3 first", env: map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1", "AWS_ENDPOINT_URL": "http://127.0.0.1:2"},
			keyID: "AKIDDEFAULT", region: "eu-west-1", ep: "http://127.0.0.1:1"},
		{name: "endpoint", env: map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:2"}, keyID: "AKIDDEFAULT", region: "eu-west-1", ep: "http://127.0.0.1:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.env["HOME"] = home
			cfg, err := s3.FromEnv(envOf(tc.env))
			require.NoError(t, err)
			require.Equal(t, tc.keyID, cfg.Credentials.AccessKeyID)
			require.Equal(t, tc.token, cfg.Credentials.SessionToken)
			require.Equal(t, tc.region, cfg.Region)
			require.Equal(t, tc.ep, cfg.Endpoint)
		})
	}
}

func TestFromEnvExplicitFiles(t *testing.T) {
	dir := t.TempDir()
	creds, conf := filepath.Join(dir, "creds"), filepath.Join(dir, "conf")
	writeFile(t, creds, credentialsText, 0o600)
	writeFile(t, conf, configText, 0o644) // no secret read from it: fine
	cfg, err := s3.FromEnv(envOf(map[string]string{"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": conf, "AWS_PROFILE": "work"}))
	require.NoError(t, err)
	require.Equal(t, "AKIDWORK", cfg.Credentials.AccessKeyID)
	require.Equal(t, "ap-south-1", cfg.Region)
}

func TestFromEnvRefusesOpenCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "creds")
	writeFile(t, creds, credentialsText, 0o644)
	_, err := s3.FromEnv(envOf(map[string]string{"AWS_SHARED_CREDENTIALS_FILE": creds, "HOME": dir}))
	require.ErrorContains(t, err, creds)
	require.ErrorContains(t, err, "0644")
	require.NotContains(t, err.Error(), "secret-default")
}

func TestNoCredentials(t *testing.T) {
	cfg, err := s3.FromEnv(envOf(map[string]string{"HOME": t.TempDir()}))
	require.NoError(t, err)
	require.Equal(t, "us-east-1", cfg.Region)
	_, err = s3.New(cfg)
	require.ErrorContains(t, err, "AWS_ACCESS_KEY_ID")
}

func TestConfigValidation(t *testing.T) {
	good := s3.Config{Credentials: sigv4Creds()}
	for _, tc := range []struct {
		name string
		edit func(*s3.Config)
		want string
	}{
		{"part too small", func(c *s3.Config) { c.PartSize = 1 << 20 }, "part size"},
		{"bad endpoint", func(c *s3.Config) { c.Endpoint = "ftp://x" }, "endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			_, err := s3.New(cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := s3.New(good)
	require.NoError(t, err)
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in             string
		bucket, key    string
		prefix, wantOK bool
	}{
		{"s3://bkt/dir/file.txt", "bkt", "dir/file.txt", false, true},
		{"s3://bkt/dir/", "bkt", "dir/", true, true},
		{"s3://bkt/", "bkt", "", true, true},
		{"s3://bkt", "", "", false, false},
		{"s3://B_k/x", "", "", false, false},
		{"/local/path", "", "", false, false},
		{"s3://ab/x", "", "", false, false},
	} {
		l, err := s3.ParseLocation(tc.in)
		if !tc.wantOK {
			require.Error(t, err, tc.in)
			require.ErrorContains(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.bucket, l.Bucket)
		require.Equal(t, tc.key, l.Key)
		require.Equal(t, tc.prefix, l.IsPrefix(), tc.in)
		require.Equal(t, tc.in, l.String())
	}
}

func TestConfigNeverPrintsSecret(t *testing.T) {
	cfg := s3.Config{Credentials: sigv4Creds()}
	cfg.Credentials.SessionToken = "session-token-value"
	for _, format := range []string{"%v", "%+v", "%#v"} {
		out := fmt.Sprintf(format, cfg)
		require.NotContains(t, out, cfg.Credentials.SecretAccessKey, format)
		require.NotContains(t, out, "session-token-value", format)
	}
}
