package journal

import (
	"os"
	"syscall"
)

// syncData flushes f's data and the metadata needed to read it back
// (its size), but not its timestamps: fdatasync, cheaper than fsync.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
