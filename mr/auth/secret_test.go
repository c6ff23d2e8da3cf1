package auth

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// writeSecretFile writes content to path with the given mode, whatever
// the umask.
func writeSecretFile(t *testing.T, path string, content []byte, mode os.FileMode) {
	require.NoError(t, os.WriteFile(path, content, mode))
	require.NoError(t, os.Chmod(path, mode))
}

func TestLoadSecret(t *testing.T) {
	content := secretBytes("file")
	tests := []struct {
		name string
		// setup makes what is at path.
		setup   func(t *testing.T, path string)
		wantErr error
		// wantMsg is what the error says after the path.
		wantMsg string
	}{
		{"good", func(t *testing.T, p string) { writeSecretFile(t, p, content, 0o600) }, nil, ""},
		{"read-only", func(t *testing.T, p string) { writeSecretFile(t, p, content, 0o400) }, nil, ""},
		{"shortest", func(t *testing.T, p string) { writeSecretFile(t, p, content[:MinSecretLen], 0o600) }, nil, ""},
		{"longest", func(t *testing.T, p string) {
			writeSecretFile(t, p, bytes.Repeat(content, MaxSecretLen/len(content)), 0o600)
		}, nil, ""},
		{"symlink to a good file", func(t *testing.T, p string) {
			writeSecretFile(t, p+".target", content, 0o600)
			require.NoError(t, os.Symlink(p+".target", p))
		}, nil, ""},
		{"short", func(t *testing.T, p string) { writeSecretFile(t, p, content[:MinSecretLen-1], 0o600) },
			ErrSecretFile, " holds 15 bytes; want at least 16"},
		{"empty", func(t *testing.T, p string) { writeSecretFile(t, p, nil, 0o600) },
			ErrSecretFile, " holds 0 bytes; want at least 16"},
		{"too long", func(t *testing.T, p string) {
			writeSecretFile(t, p, bytes.Repeat(content, MaxSecretLen/len(content)+1), 0o600)
		}, ErrSecretFile, " holds more than 4096 bytes"},
		{"mode 0644", func(t *testing.T, p string) { writeSecretFile(t, p, content, 0o644) },
			ErrSecretFile, " is accessible by group or others (mode 0644); run chmod 600 "},
		{"mode 0640", func(t *testing.T, p string) { writeSecretFile(t, p, content, 0o640) },
			ErrSecretFile, " is accessible by group or others (mode 0640); run chmod 600 "},
		{"mode 0602", func(t *testing.T, p string) { writeSecretFile(t, p, content, 0o602) },
			ErrSecretFile, " is accessible by group or others (mode 0602); run chmod 600 "},
		{"directory", func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o700)) },
			ErrSecretFile, " is a directory, not a regular file"},
		{"named pipe", func(t *testing.T, p string) { require.NoError(t, syscall.Mkfifo(p, 0o600)) },
			ErrSecretFile, " is a named pipe, not a regular file"},
		{"missing", func(t *testing.T, p string) {}, fs.ErrNotExist, ": no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "secret")
			tt.setup(t, path)
			s, err := LoadSecret(path)
			noteErr(err)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.False(t, s.IsZero(), "got the zero Secret")
				want, _ := os.ReadFile(path)
				require.Equal(t, newSecret(want).Key("test"), s.Key("test"), "got a secret that is not the file's bytes")
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.True(t, s.IsZero(), "got a Secret with an error")
			require.Contains(t, err.Error(), path+tt.wantMsg)
			if tt.wantErr == ErrSecretFile && strings.Contains(tt.wantMsg, "chmod") {
				require.True(t, strings.HasSuffix(err.Error(), "chmod 600 "+path), "got %q; want it to end with the chmod to run", err)
			}
		})
	}
}

func TestLoadSecretUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	path := filepath.Join(t.TempDir(), "secret")
	writeSecretFile(t, path, secretBytes("file"), 0o200)
	_, err := LoadSecret(path)
	noteErr(err)
	require.ErrorIs(t, err, fs.ErrPermission)
	require.Contains(t, err.Error(), path)
}

// TestSecretIsTheWholeFile: a trailing newline is part of the secret, so
// both sides must use the same file, not the same line.
func TestSecretIsTheWholeFile(t *testing.T) {
	dir := t.TempDir()
	content := secretBytes("file")
	bare, withNewline := filepath.Join(dir, "bare"), filepath.Join(dir, "newline")
	writeSecretFile(t, bare, content, 0o600)
	writeSecretFile(t, withNewline, append(bytes.Clone(content), '\n'), 0o600)
	a, err := LoadSecret(bare)
	require.NoError(t, err)
	b, err := LoadSecret(withNewline)
	require.NoError(t, err)
	require.NotEqual(t, a.Key("test"), b.Key("test"), "got the same key with and without the newline")
}

func TestKey(t *testing.T) {
	raw := secretBytes("keys")
	s := newSecret(raw)
	purposes := []Purpose{PurposeHandshake, "http signing", "", "rpc handshake "}
	seen := map[string]Purpose{}
	for _, p := range purposes {
		k := s.Key(p)
		require.Len(t, k, macSize)
		require.Equal(t, hmacOf(raw, "mapreduce key: "+string(p)), k, "got a key for %q that is not HMAC(secret, prefix+purpose)", p)
		require.Equal(t, k, s.Key(p), "got two keys for %q", p)
		if other, dup := seen[string(k)]; dup {
			t.Fatalf("got the same key for %q and %q", p, other)
		}
		seen[string(k)] = p
	}
	require.NotEqual(t, s.Key("rpc handshake"), testSecret("other").Key("rpc handshake"), "got the same key from two secrets")
}

func TestZeroSecret(t *testing.T) {
	var zero Secret
	require.True(t, zero.IsZero())
	require.False(t, testSecret("shared").IsZero())
	require.Panics(t, func() { zero.Key("rpc handshake") })
	require.Equal(t, "[no secret]", zero.String())
	require.Equal(t, "[no secret]", fmt.Sprintf("%v", zero))
}

// TestSecretNeverShows prints, logs and marshals a Secret every way we
// could think of, alone and inside a struct.
func TestSecretNeverShows(t *testing.T) {
	raw := secretBytes("shown")
	s := newSecret(raw)
	type config struct {
		Name   string
		Secret Secret
		Ptr    *Secret
		hidden Secret
	}
	cfg := config{Name: "job", Secret: s, Ptr: &s, hidden: s}
	outputs := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%o", "%b", "%08v"} {
		outputs[verb] = fmt.Sprintf(verb, s)
		outputs[verb+" pointer"] = fmt.Sprintf(verb, &s)
		outputs[verb+" struct"] = fmt.Sprintf(verb, cfg)
		outputs[verb+" struct pointer"] = fmt.Sprintf(verb, &cfg)
		outputs[verb+" slice"] = fmt.Sprintf(verb, []Secret{s})
		outputs[verb+" map"] = fmt.Sprintf(verb, map[string]Secret{"k": s})
		outputs[verb+" any"] = fmt.Sprintf(verb, []any{s})
	}
	outputs["Sprint"] = fmt.Sprint(s, &s, cfg)
	outputs["error"] = fmt.Errorf("load %v: %w", s, ErrSecretFile).Error()
	for _, handler := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"slog text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
		{"slog JSON", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
	} {
		var buf bytes.Buffer
		slog.New(handler.new(&buf)).Info("loaded", "secret", s, "pointer", &s, "config", cfg,
			slog.Any("any", s), slog.Group("group", "secret", s))
		outputs[handler.name] = buf.String()
	}
	for _, v := range []any{s, &s, cfg, []Secret{s}, map[string]Secret{"k": s}} {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		outputs[fmt.Sprintf("json %T", v)] = string(b)
	}
	text, err := s.MarshalText()
	require.NoError(t, err)
	outputs["MarshalText"] = string(text)

	for name, out := range outputs {
		require.False(t, shows(out, raw), "%s shows the secret: %s", name, out)
	}
	for _, name := range []string{"%v", "%x", "%d", "%#v struct", "slog text", "slog JSON", "json auth.Secret"} {
		require.Contains(t, outputs[name], "[secret]", "got %s = %s; want it to say [secret]", name, outputs[name])
	}
}

func TestTokenIsTheKeyInHexAndNothingForNoSecret(t *testing.T) {
	raw := secretBytes("tokens")
	s := newSecret(raw)
	tokens := map[string]Purpose{}
	for _, p := range []Purpose{PurposeHandshake, PurposeShuffle, PurposeDebug} {
		tok := s.Token(p)
		require.Equal(t, hex.EncodeToString(s.Key(p)), tok, "token of %q", p)
		if other, dup := tokens[tok]; dup {
			t.Fatalf("got the same token for %q and %q", p, other)
		}
		tokens[tok] = p
	}
	require.NotContains(t, tokens, hex.EncodeToString(raw), "the secret itself is a token")
	require.Empty(t, Secret{}.Token(PurposeDebug), "the zero Secret has a token")
}
