//go:build !linux

package streaming

import (
	"os"
	"syscall"
)

// growPipe does nothing where pipes cannot be resized.
func growPipe(*os.File) {}

// groupAttr starts a command in a process group of its own.
func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
