//go:build !linux

package journal

import "os"

// syncData flushes f: fsync where there is no fdatasync.
func syncData(f *os.File) error { return f.Sync() }
