package streaming

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Command is a command line, split into arguments, whose program was found
// and is executable.
type Command struct {
	// Line is the command line as the user wrote it.
	Line string
	// Args holds its arguments, Args[0] the program as written.
	Args []string
	// Path is the program's file, found through $PATH.
	Path string
}

// Parse splits line and finds its program. The error names the command
// and says why it cannot run: a missing program, or one not executable.
func Parse(line string) (Command, error) {
	args, err := Split(line)
	if err != nil {
		return Command{}, err
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return Command{}, fmt.Errorf("command %q: %w", line, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return Command{}, fmt.Errorf("command %q: %w", line, err)
	}
	if !info.Mode().IsRegular() {
		return Command{}, fmt.Errorf("command %q: %s is not a regular file", line, path)
	}
	return Command{Line: line, Args: args, Path: path}, nil
}

// Fingerprint returns, in hex, a SHA-256 of the roles, command lines and
// the content of each command's program file: it identifies a streaming
// application as loader.Fingerprint identifies a plugin, so that a job
// never mixes two. A nil command (no combiner) counts as an empty line.
func Fingerprint(mapper, reducer, combiner *Command) (string, error) {
	h := sha256.New()
	io.WriteString(h, "streaming\n")
	for _, role := range []struct {
		name string
		cmd  *Command
	}{{"mapper", mapper}, {"reducer", reducer}, {"combiner", combiner}} {
		if role.cmd == nil {
			fmt.Fprintf(h, "%s 0\n", role.name)
			continue
		}
		fmt.Fprintf(h, "%s %d %s\n", role.name, len(role.cmd.Line), role.cmd.Line)
		if err := hashFile(h, role.cmd.Path); err != nil {
			return "", fmt.Errorf("%s %q: %w", role.name, role.cmd.Line, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFile writes the size and content of the file at path to w.
func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%d\n", info.Size())
	_, err = io.Copy(w, f)
	return err
}

// String returns the command line.
func (c Command) String() string { return c.Line }

// describe returns the command line, quoted, for messages.
func (c Command) describe() string { return fmt.Sprintf("%q", c.Line) }
