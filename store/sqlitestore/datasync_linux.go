package sqlitestore

import (
	"os"
	"syscall"
)

// dataSync flushes f's data, and its size when that changed, to stable storage
// (fdatasync(2)). Unlike fsync it does not wait for a journal commit of the timestamps
// alone, which the WAL, overwritten in place once it starts over, otherwise needs on every
// call. It is what SQLite itself uses to sync the WAL on Linux.
func dataSync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
