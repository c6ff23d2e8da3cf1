package streaming

import (
	"os"
	"syscall"
)

// fSetPipeSize is Linux's F_SETPIPE_SZ fcntl.
const fSetPipeSize = 1031

// growPipe asks for a pipe of pipeBuffer bytes instead of the default
// 64 KiB, so that the command and the engine wake each other a quarter
// as often. It takes the command's end, whose blocking mode does not
// matter. Failing (a lower /proc/sys/fs/pipe-max-size) is harmless.
func growPipe(childEnd *os.File) {
	syscall.Syscall(syscall.SYS_FCNTL, childEnd.Fd(), fSetPipeSize, pipeBuffer)
}

// groupAttr starts a command in a process group of its own, killed if
// the worker dies.
func groupAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
