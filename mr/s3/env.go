package s3

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"6.5840/mr/s3/sigv4"
)

// Environment variables and files read by FromEnv, as the AWS CLI and
// SDKs name them.
const (
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
	EnvRegion          = "AWS_REGION"
	EnvDefaultRegion   = "AWS_DEFAULT_REGION"
	EnvProfile         = "AWS_PROFILE"
	EnvCredentialsFile = "AWS_SHARED_CREDENTIALS_FILE"
	EnvConfigFile      = "AWS_CONFIG_FILE"
	EnvEndpointS3      = "AWS_ENDPOINT_URL_S3"
	EnvEndpoint        = "AWS_ENDPOINT_URL"
	envHome            = "HOME"
	defaultProfile     = "default"
	credentialsPath    = ".aws/credentials"
	configPath         = ".aws/config"
	keyAccessKeyID     = "aws_access_key_id"
	keySecretAccessKey = "aws_secret_access_key"
	keySessionToken    = "aws_session_token"
	keyRegion          = "region"
	// groupOtherBits are the permission bits a file holding a secret
	// must not have.
	groupOtherBits fs.FileMode = 0o077
)

// FromEnv builds a Config the way the AWS CLI does, from getenv (os.Getenv
// in production):
//
//   - credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with
//     AWS_SESSION_TOKEN) when both are set; otherwise the profile
//     AWS_PROFILE (default "default") of the shared credentials file
//     (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials, section
//     [NAME]), then of the config file (AWS_CONFIG_FILE, default
//     ~/.aws/config, section [profile NAME], or [default]);
//   - region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the
//     config file, us-east-1;
//   - endpoint: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS.
//
// A file the credentials are read from must not be readable or writable
// by group or others: FromEnv refuses it, naming the file and its mode,
// as ssh does with a private key.
func FromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{Endpoint: firstSet(getenv(EnvEndpointS3), getenv(EnvEndpoint))}
	profile := firstSet(getenv(EnvProfile), defaultProfile)
	home := getenv(envHome)
	credFile := firstSet(getenv(EnvCredentialsFile), filepath.Join(home, credentialsPath))
	confFile := firstSet(getenv(EnvConfigFile), filepath.Join(home, configPath))
	conf, err := readINI(confFile, configSection(profile))
	if err != nil {
		return Config{}, err
	}
	cfg.Region = firstSet(getenv(EnvRegion), getenv(EnvDefaultRegion), conf[keyRegion], DefaultRegion)
	cfg.Credentials = sigv4.Credentials{AccessKeyID: getenv(EnvAccessKeyID),
		SecretAccessKey: getenv(EnvSecretAccessKey), SessionToken: getenv(EnvSessionToken)}
	if cfg.Credentials.Valid() {
		return cfg, nil
	}
	for _, src := range []struct {
		file, section string
	}{{credFile, profile}, {confFile, configSection(profile)}} {
		values, err := readINI(src.file, src.section)
		if err != nil {
			return Config{}, err
		}
		creds := sigv4.Credentials{AccessKeyID: values[keyAccessKeyID],
			SecretAccessKey: values[keySecretAccessKey], SessionToken: values[keySessionToken]}
		if creds.Valid() {
			if err := checkPrivate(src.file); err != nil {
				return Config{}, err
			}
			cfg.Credentials = creds
			return cfg, nil
		}
	}
	return cfg, nil // New reports the missing credentials
}

func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// configSection is a profile's section name in the config file.
func configSection(profile string) string {
	if profile == defaultProfile {
		return defaultProfile
	}
	return "profile " + profile
}

// checkPrivate refuses a secret-holding file open to group or others.
func checkPrivate(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("s3 credentials: %w", err)
	}
	if mode := info.Mode().Perm(); mode&groupOtherBits != 0 {
		return fmt.Errorf("s3 credentials: %s has mode %04o, open to group or others: chmod 600 %s", path, mode, path)
	}
	return nil
}

// readINI returns the key = value pairs of one [section] of an AWS-style
// ini file; a missing file is an empty one.
func readINI(path, section string) (map[string]string, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("s3 config: %w", err)
	}
	defer f.Close()
	values := map[string]string{}
	in := false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		switch {
		case text == "" || text[0] == '#' || text[0] == ';':
		case text[0] == '[':
			name, ok := strings.CutSuffix(text[1:], "]")
			if !ok {
				return nil, fmt.Errorf("s3 config: %s:%d: bad section header %q", path, line, text)
			}
			in = strings.TrimSpace(name) == section
		case in:
			key, value, ok := strings.Cut(text, "=")
			if !ok {
				continue // a nested block's line ("s3 =" sub-keys); not ours
			}
			values[strings.TrimSpace(key)] = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("s3 config: %s: %w", path, err)
	}
	return values, nil
}
