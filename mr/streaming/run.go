package streaming

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"6.5840/mr/app"
)

// Environment variables set for every command (see the package doc).
const (
	EnvInput     = "MR_INPUT"
	EnvTask      = "MR_TASK"
	EnvAttempt   = "MR_ATTEMPT"
	EnvNReduce   = "MR_NREDUCE"
	EnvPartition = "MR_PARTITION"
)

// env returns the command's environment: the worker's plus the MR_ ones.
func env(a app.Attempt) []string {
	env := append(os.Environ(),
		EnvTask+"="+a.Task,
		EnvAttempt+"="+a.ID,
		EnvNReduce+"="+strconv.Itoa(a.NReduce))
	if a.Partition >= 0 {
		env = append(env, EnvPartition+"="+strconv.Itoa(a.Partition))
	} else {
		env = append(env, EnvInput+"="+a.Input)
	}
	return env
}

// what names the attempt and its input or partition, for errors.
func what(a app.Attempt) string {
	if a.Partition >= 0 {
		return fmt.Sprintf("%s (partition %d)", a.ID, a.Partition)
	}
	return fmt.Sprintf("%s (input %s)", a.ID, a.Input)
}

// process is one run of a command for an attempt.
type process struct {
	role string // mapper, reducer or combiner
	cmd  Command
	at   app.Attempt
	log  *slog.Logger
	// maxLine bounds a line of stdout.
	maxLine int
}

// run starts the command, feeds its stdin with feed from one goroutine,
// reads its stderr in another and its stdout with consume in this one,
// and waits for it. It kills the command's process group when ctx ends,
// when consume fails, and once the command has exited. The error names
// the attempt, the command, how it ended, and its last stderr lines.
func (p process) run(ctx context.Context, feed func(*bufio.Writer) error, consume func(io.Reader) error) error {
	s, err := p.start()
	if err != nil {
		return p.fail(err, nil)
	}
	stop := context.AfterFunc(ctx, s.kill)
	defer stop()

	tail := &stderrTail{}
	stderrDone := make(chan struct{})
	go func() {
		defer close(stderrDone)
		p.readStderr(s.stderr, tail)
	}()
	fed := make(chan error, 1)
	go func() { fed <- s.feed(feed) }()

	// However consume ends, even by a panic in emit, the group is gone
	// and every goroutine done before run returns.
	consumed := false
	defer func() {
		if !consumed {
			s.kill()
			io.Copy(io.Discard, s.stdout)
			<-stderrDone
			s.cmd.Wait()
			<-fed
		}
	}()
	cerr := consume(s.stdout)
	if cerr != nil {
		s.kill()
		io.Copy(io.Discard, s.stdout)
	}
	<-stderrDone
	werr := s.cmd.Wait()
	s.kill() // what the command left behind
	ferr := <-fed
	consumed = true
	return p.outcome(ctx, ferr, cerr, werr, tail)
}

// started is a command started in a process group of its own, with its
// standard streams.
type started struct {
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	stdout, stderr io.ReadCloser
}

// start starts the command in its own process group, in the attempt's
// folder and environment.
func (p process) start() (*started, error) {
	c := exec.Command(p.cmd.Path, p.cmd.Args[1:]...)
	c.Args = p.cmd.Args
	c.Dir = p.at.Dir
	c.Env = env(p.at)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	s := &started{cmd: c}
	var err error
	if s.stdin, err = c.StdinPipe(); err != nil {
		return nil, err
	}
	if s.stdout, err = c.StdoutPipe(); err != nil {
		return nil, err
	}
	if s.stderr, err = c.StderrPipe(); err != nil {
		return nil, err
	}
	if err := c.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// kill kills the command's process group: the command and whatever it
// started.
func (s *started) kill() { syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL) }

// feed writes the command's stdin with feed, buffered, and closes it.
func (s *started) feed(feed func(*bufio.Writer) error) error {
	w := bufio.NewWriterSize(s.stdin, pipeBuffer)
	err := feed(w)
	if err == nil {
		err = w.Flush()
	}
	s.stdin.Close()
	return err
}

// outcome is run's error, from ctx and the errors of feeding the command
// (ferr), consuming its output (cerr) and waiting for it (werr).
func (p process) outcome(ctx context.Context, ferr, cerr, werr error, tail *stderrTail) error {
	var src sourceError
	switch {
	case ctx.Err() != nil:
		return p.fail(fmt.Errorf("stopped: %w", context.Cause(ctx)), tail)
	case errors.As(ferr, &src):
		// The engine's input failed (e.g. a lost map output): that is the
		// attempt's error, not the command's.
		return fmt.Errorf("%s: %w", what(p.at), src.err)
	case cerr != nil:
		return p.fail(fmt.Errorf("bad output: %w", cerr), tail)
	case werr != nil:
		return p.fail(exitError(werr), tail)
	}
	return nil
}

// exitError describes how a command ended: its exit status or signal.
func exitError(err error) error {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return err
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Errorf("killed by signal %d (%v)", int(ws.Signal()), ws.Signal())
	}
	return fmt.Errorf("exited with status %d", exit.ExitCode())
}

// fail returns err naming the attempt and the command, with the command's
// last stderr lines.
func (p process) fail(err error, tail *stderrTail) error {
	msg := fmt.Sprintf("%s: %s %s", what(p.at), p.role, p.cmd.describe())
	if lines := tail.lines(); len(lines) > 0 {
		return fmt.Errorf("%s: %w; last stderr lines:\n\t%s", msg, err, strings.Join(lines, "\n\t"))
	}
	return fmt.Errorf("%s: %w", msg, err)
}
