package sqlitestore

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// walSyncer makes the writer's commits durable after the fact: the writer connection
// commits with synchronous=NORMAL (no fsync in the commit, so the commit is visible at
// once and the writer lock is never held across an fsync), and a write that promises
// durability then waits for an fsync of the WAL file that began after its commit. The WAL
// is appended in commit order, so one fsync makes every earlier commit durable: concurrent
// writers share it (group commit of the fsyncs).
type walSyncer struct {
	f         *os.File      // the WAL file, kept open while the store is
	committed atomic.Uint64 // commits through the writer so far; only the writer adds

	mu      sync.Mutex
	synced  uint64        // every commit up to this one is durable
	running chan struct{} // closed when the fsync in progress ends; nil if none
}

// openWALSyncer opens the WAL file of the database at path, which the writer connection
// has already opened in WAL mode, and fsyncs its directory once so that the file's entry
// is durable too (SQLite would do that on its first fsync of the file, which in NORMAL mode
// comes only with the first checkpoint).
func openWALSyncer(path string) (*walSyncer, error) {
	f, err := os.OpenFile(path+"-wal", os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		err = d.Sync()
		d.Close()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("sync directory of %s: %w", path, err)
		}
	}
	return &walSyncer{f: f}, nil
}

// commit records one more commit through the writer and returns its number. The writer
// calls it after the commit returned, under the writer lock.
func (w *walSyncer) commit() uint64 { return w.committed.Add(1) }

// syncTo returns once commit n is durable: at once if an fsync that began after it has
// ended, else after such an fsync, which it starts itself unless one is running.
func (w *walSyncer) syncTo(n uint64) error {
	w.mu.Lock()
	for w.synced < n {
		if w.running != nil { // it may have begun before commit n: wait, then check again
			ch := w.running
			w.mu.Unlock()
			<-ch
			w.mu.Lock()
			continue
		}
		target := w.committed.Load() // every commit up to target is written to the WAL
		ch := make(chan struct{})
		w.running = ch
		w.mu.Unlock()
		err := dataSync(w.f)
		w.mu.Lock()
		w.running = nil
		close(ch)
		if err != nil {
			w.mu.Unlock()
			return fmt.Errorf("fsync WAL: %w", err)
		}
		w.synced = max(w.synced, target)
	}
	w.mu.Unlock()
	return nil
}

// close closes the WAL file.
func (w *walSyncer) close() error { return w.f.Close() }
