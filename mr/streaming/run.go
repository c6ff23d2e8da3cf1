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
	"sync/atomic"
	"syscall"
	"time"

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
	go s.wait()
	defer s.stdout.f.Close()
	defer s.stderr.f.Close()

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
			<-s.exited
			<-fed
		}
	}()
	cerr := consume(s.stdout)
	if cerr != nil {
		s.kill()
		io.Copy(io.Discard, s.stdout)
	}
	<-stderrDone
	<-s.exited
	ferr := <-fed
	consumed = true
	return p.outcome(ctx, ferr, cerr, s.werr, tail)
}

// heldOpenGrace is how long a read of a command's stdout or stderr may
// wait once the command has exited and its process group is killed.
// Whatever the command wrote is in the pipe by then, and the group's
// processes close their ends as they die; a read that still waits is
// held by a process that left the group (setsid, say), which the worker
// cannot kill and which must not hang the attempt.
const heldOpenGrace = 2 * time.Second

// errHeldOpen ends a read that waited heldOpenGrace after the command
// exited.
var errHeldOpen = errors.New("exited, but a process it started outside its process group (setsid?) still holds its stdout or stderr open")

// started is a command started in a process group of its own, with its
// standard streams.
type started struct {
	cmd            *exec.Cmd
	stdin          *os.File
	stdout, stderr *exitReader
	// exited is closed once the command has exited and werr is set.
	exited chan struct{}
	werr   error
}

// start starts the command in its own process group, in the attempt's
// folder and environment. The worker's death kills the command.
func (p process) start() (*started, error) {
	c := exec.Command(p.cmd.Path, p.cmd.Args[1:]...)
	c.Args = p.cmd.Args
	c.Dir = p.at.Dir
	c.Env = env(p.at)
	c.SysProcAttr = groupAttr()
	// The engine's ends of the pipes are its own files, not exec's, so
	// that their reads and writes can be given deadlines: exec's wait
	// for a pipe to close would be forever if an escaped process holds
	// it. child holds the command's ends of stdin, stdout and stderr.
	var child, ours [3]*os.File
	for i := range child {
		r, w, err := os.Pipe()
		if err != nil {
			closeFiles(child[:])
			closeFiles(ours[:])
			return nil, err
		}
		child[i], ours[i] = w, r
		if i == 0 {
			child[i], ours[i] = r, w
		}
		growPipe(child[i])
	}
	c.Stdin, c.Stdout, c.Stderr = child[0], child[1], child[2]
	err := c.Start()
	closeFiles(child[:])
	if err != nil {
		closeFiles(ours[:])
		return nil, err
	}
	return &started{cmd: c, stdin: ours[0], stdout: &exitReader{f: ours[1]}, stderr: &exitReader{f: ours[2]},
		exited: make(chan struct{})}, nil
}

// closeFiles closes the files that are not nil.
func closeFiles(files []*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

// wait waits for the command to exit, kills what it left in its group,
// and bounds the reads and writes of its pipes from then on.
func (s *started) wait() {
	s.werr = s.cmd.Wait()
	s.kill()
	now := time.Now()
	s.stdin.SetWriteDeadline(now) // nobody is reading what is left
	s.stdout.commandExited(now)
	s.stderr.commandExited(now)
	close(s.exited)
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

// exitReader reads the engine's end of a command's pipe. Once the
// command has exited, each read waits at most heldOpenGrace, and after
// one has waited that long the others fail at once.
type exitReader struct {
	f                *os.File
	exited, heldOpen atomic.Bool
}

func (r *exitReader) Read(p []byte) (int, error) {
	if r.heldOpen.Load() {
		return 0, errHeldOpen
	}
	if r.exited.Load() {
		r.f.SetReadDeadline(time.Now().Add(heldOpenGrace))
	}
	n, err := r.f.Read(p)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		r.heldOpen.Store(true)
		err = errHeldOpen
	}
	return n, err
}

// commandExited bounds the read under way, if any, and every later one.
func (r *exitReader) commandExited(now time.Time) {
	r.exited.Store(true)
	r.f.SetReadDeadline(now.Add(heldOpenGrace))
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
	case errors.Is(cerr, errHeldOpen):
		return p.fail(errHeldOpen, tail)
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
