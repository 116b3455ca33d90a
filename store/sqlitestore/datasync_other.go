//go:build !linux

package sqlitestore

import "os"

// dataSync flushes f to stable storage (f.Sync: fsync, or F_FULLFSYNC on Apple systems).
func dataSync(f *os.File) error { return f.Sync() }
