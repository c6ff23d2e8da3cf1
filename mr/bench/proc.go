package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// failureLogLines is how many last lines of a failed process's log its
// error shows.
const failureLogLines = 15

// proc is a started child process.
type proc struct {
	role  string
	cmd   *exec.Cmd
	log   string
	start time.Time
	done  chan struct{} // closed once it has exited and wall and err are set
	wall  time.Duration
	err   error
}

// startProc starts path with args in dir, stdout and stderr to dir/logName.
func startProc(role, dir, logName string, env []string, path string, args ...string) (*proc, error) {
	logPath := filepath.Join(dir, logName)
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	p := &proc{role: role, cmd: cmd, log: logPath, done: make(chan struct{})}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s (%s): %w", role, path, err)
	}
	go func() {
		p.err = cmd.Wait()
		p.wall = time.Since(p.start)
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// waitFor waits at most d for the process to exit and reports whether it did.
func (p *proc) waitFor(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

// kill kills the process if it is still running.
func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
	}
}

// failure describes how the exited process failed, with the end of its
// log, or returns nil if it exited with status 0.
func (p *proc) failure() error {
	if p.err == nil {
		return nil
	}
	hint := ""
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		hint = " (killed from outside: out of memory?)"
	}
	return fmt.Errorf("%s failed: %v%s; last lines of %s:\n%s", p.role, p.err, hint, p.log, tail(p.log, failureLogLines))
}

// maxRSSKiB returns the exited process's peak resident set size in KiB.
func (p *proc) maxRSSKiB() int64 {
	if p.cmd.ProcessState == nil {
		return 0
	}
	ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) / bytesPerKiB // bytes there, KiB on Linux
	}
	return int64(ru.Maxrss)
}

// cpu returns the exited process's user plus system time.
func (p *proc) cpu() time.Duration {
	if p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
}

// tail returns the last n lines of the file at path, indented.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return "    (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return "    " + strings.Join(lines, "\n    ")
}

// bytesPerKiB converts the peak RSS that darwin gives in bytes.
const bytesPerKiB = 1024
