package scale

import (
	"fmt"
	"syscall"
)

// fdSlack is the descriptors a run needs beside the workers' connections
// (a descriptor on each side of each): the listener, logs, the journal,
// pipes, the status page, the Go runtime.
const fdSlack = 256

// descriptorsFor returns how many file descriptors the simulator, and
// the coordinator it starts, each need for workers with conns
// connections each.
func descriptorsFor(workers, conns int) uint64 {
	return uint64(conns*workers + fdSlack)
}

// raiseFileLimit raises RLIMIT_NOFILE to at least need, the hard limit
// too if this process may (root may), so that the coordinator started
// next inherits it. It fails naming how many descriptors are needed if
// the limit cannot be raised.
func raiseFileLimit(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("read the file descriptor limit: %w", err)
	}
	if lim.Cur >= need {
		// Set it anyway: Go restores a child's limit to what this
		// process started with unless the program set one itself.
		return setFileLimit(lim)
	}
	want := syscall.Rlimit{Cur: need, Max: max(lim.Max, need)}
	if err := setFileLimit(want); err != nil {
		return fmt.Errorf("need %d file descriptors (one per connection on each side, plus %d), but the limit is %d (hard %d) and cannot be raised: %w; raise it (ulimit -n %d, as root if the hard limit is lower) or run fewer workers",
			need, fdSlack, lim.Cur, lim.Max, err, need)
	}
	return nil
}

func setFileLimit(lim syscall.Rlimit) error {
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
