package scale

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Files of the job folder.
const (
	inputName      = "input"
	secretName     = "secret"
	coordinatorLog = "coordinator.log"
	// secretBytes is the size of the job's random secret.
	secretBytes = 32
	secretMode  = 0o600
	// splitSize cuts the input into one-byte map tasks.
	splitSize = "1"
	// rssInterval is how often the coordinator's resident size is read.
	rssInterval = 250 * time.Millisecond
	// logTailBytes is how much of the coordinator's log a failure shows.
	logTailBytes = 2048
	kib          = 1 << 10
)

// prepareJob writes the job's secret and its sparse input of maps bytes
// into dir.
func prepareJob(dir string, maps int) error {
	secret := make([]byte, secretBytes)
	rand.Read(secret)
	if err := os.WriteFile(filepath.Join(dir, secretName), secret, secretMode); err != nil {
		return fmt.Errorf("write the secret: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, inputName))
	if err != nil {
		return fmt.Errorf("create the input: %w", err)
	}
	if err := f.Truncate(int64(maps)); err != nil {
		f.Close()
		return fmt.Errorf("size the input: %w", err)
	}
	return f.Close()
}

// freeAddr returns a loopback TCP address with a port the kernel chose.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// coordinatorProc is the running mrcoordinator.
type coordinatorProc struct {
	cmd  *exec.Cmd
	dir  string
	done chan struct{} // closed once it exited and err and exited are set
	err  error
	// exited is when it exited, since the run's start.
	exited time.Duration
	// overRSS is set if it was killed for its resident size, simOverRSS
	// if it was killed for this process's.
	overRSS    atomic.Int64
	simOverRSS atomic.Int64
}

// startCoordinator starts the coordinator on addr in dir, its log in
// dir; since is the run's start, from which its exit is timed.
func startCoordinator(cfg Config, dir, addr string, since time.Time) (*coordinatorProc, error) {
	args := []string{"-addr", "tcp:" + addr, "-secret-file", secretName, "-nreduce", strconv.Itoa(cfg.NReduce), "-split-size", splitSize, "-q"}
	if cfg.HTTPAddr != "" {
		args = append(args, "-http", cfg.HTTPAddr)
	}
	args = append(append(args, cfg.ExtraArgs...), inputName)
	log, err := os.Create(filepath.Join(dir, coordinatorLog))
	if err != nil {
		return nil, err
	}
	// The binary is named from where mrbench runs, and runs in dir.
	bin, err := filepath.Abs(cfg.Coordinator)
	if err != nil {
		log.Close()
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", cfg.Coordinator, err)
	}
	p := &coordinatorProc{cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		p.exited = time.Since(since)
		log.Close()
		close(p.done)
	}()
	go p.watchRSS(cfg.MaxCoordinatorRSS, cfg.MaxSimulatorRSS)
	return p, nil
}

// watchRSS kills the coordinator if its resident size passes limit, or
// this process's passes simLimit.
func (p *coordinatorProc) watchRSS(limit, simLimit int64) {
	ticker := time.NewTicker(rssInterval)
	defer ticker.Stop()
	status := fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid)
	for {
		select {
		case <-p.done:
			return
		case <-ticker.C:
		}
		if rss := residentBytes(status); rss > limit {
			p.overRSS.Store(rss)
			p.kill()
			return
		}
		if rss := residentBytes(selfStatus); rss > simLimit {
			p.simOverRSS.Store(rss)
			p.kill()
			return
		}
	}
}

// selfStatus is this process's /proc status file.
const selfStatus = "/proc/self/status"

// residentBytes returns VmRSS from a /proc status file, 0 if unknown.
func residentBytes(status string) int64 {
	b, err := os.ReadFile(status)
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n * kib
		}
	}
	return 0
}

// kill kills the coordinator if it still runs.
func (p *coordinatorProc) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
	}
}

// usage returns the exited coordinator's peak resident size and CPU time.
func (p *coordinatorProc) usage() (int64, time.Duration) {
	ru, ok := p.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0
	}
	return ru.Maxrss * kib, cpuTime(ru)
}

// cpuTime returns the user and system time of ru.
func cpuTime(ru *syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// failure describes how the exited coordinator failed, with the end of its
// log, or returns nil if it exited with status 0.
func (p *coordinatorProc) failure() error {
	if rss := p.overRSS.Load(); rss > 0 {
		return fmt.Errorf("coordinator killed at %d MiB resident, past the limit", rss>>20)
	}
	if rss := p.simOverRSS.Load(); rss > 0 {
		return fmt.Errorf("coordinator killed: the simulator reached %d MiB resident, past its limit", rss>>20)
	}
	if p.err == nil {
		return nil
	}
	log, _ := os.ReadFile(filepath.Join(p.dir, coordinatorLog))
	if len(log) > logTailBytes {
		log = log[len(log)-logTailBytes:]
	}
	return fmt.Errorf("coordinator: %w; its log ends:\n%s", p.err, log)
}
