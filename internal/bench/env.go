package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/slaqhq/slaq"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// The stores a run can use.
const (
	StoreRedis    = "redis"
	StoreEmbedded = "embedded"
)

// DefaultPrefix is the Redis key prefix of the bench's jobs: the bench deletes exactly the
// keys under it before and after every run, and never flushes a database.
const DefaultPrefix = "slaqbench"

// embeddedFile is the name of the embedded store's file inside a run's temporary directory.
const embeddedFile = "bench.db"

// Target says where runs store their jobs.
type Target struct {
	// Store is StoreRedis or StoreEmbedded.
	Store string
	// Redis configures the Redis store; Prefix defaults to DefaultPrefix. Only a single server
	// is supported (the bench reads its INFO).
	Redis redisstore.Options
	// Dir is where each embedded run creates its fresh temporary directory. Default
	// os.TempDir().
	Dir string
	// Embedded configures the embedded store. Default: the store's defaults (fsync on).
	Embedded sqlitestore.Options
}

// runEnv is one run's store and instruments.
type runEnv struct {
	target Target
	st     store.Store
	admin  *respConn // Redis only: INFO and key deletion
	dbPath string    // embedded only
	res    *Result
	close  func()
}

// open makes a fresh store for one run: an empty temporary file, or Redis with the bench's
// keys deleted.
func open(ctx context.Context, t Target, res *Result) (*runEnv, error) {
	e := &runEnv{target: t, res: res}
	res.Store = t.Store
	res.Machine = Machine{NProc: runtime.NumCPU(), GoMaxProcs: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		RedisVersion: "n/a"}
	switch t.Store {
	case StoreRedis:
		if e.target.Redis.Prefix == "" {
			e.target.Redis.Prefix = DefaultPrefix
		}
		admin, err := dialRedis(ctx, e.target.Redis)
		if err != nil {
			return nil, err
		}
		e.admin = admin
		info, err := admin.info("server")
		if err != nil {
			admin.close()
			return nil, err
		}
		res.Machine.RedisVersion = info["redis_version"]
		if err := e.flush(); err != nil {
			admin.close()
			return nil, err
		}
		st, err := redisstore.New(ctx, e.target.Redis)
		if err != nil {
			admin.close()
			return nil, fmt.Errorf("bench: open the Redis store: %w", err)
		}
		e.st = st
		e.close = func() {
			_ = st.Close()
			_ = e.flush()
			admin.close()
		}
	case StoreEmbedded:
		dir, err := os.MkdirTemp(t.Dir, "slaqbench-")
		if err != nil {
			return nil, fmt.Errorf("bench: temporary directory: %w", err)
		}
		e.dbPath = filepath.Join(dir, embeddedFile)
		st, err := sqlitestore.Open(ctx, e.dbPath, t.Embedded)
		if err != nil {
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("bench: open the embedded store: %w", err)
		}
		e.st = st
		e.close = func() {
			_ = st.Close()
			_ = os.RemoveAll(dir)
		}
	default:
		return nil, fmt.Errorf("bench: unknown store %q: want %s or %s", t.Store, StoreRedis, StoreEmbedded)
	}
	return e, nil
}

// flush deletes the bench's Redis keys.
func (e *runEnv) flush() error {
	if _, err := e.admin.deleteKeys(e.target.Redis.Prefix); err != nil {
		return fmt.Errorf("bench: delete the bench's keys: %w", err)
	}
	return nil
}

// client returns a slaq client on the run's store: completed jobs are deleted at once, and
// every other setting is the library's default unless cfg sets it.
func (e *runEnv) client(cfg slaq.Config) (*slaq.Client, error) {
	cfg.Retention = -1
	c, err := slaq.New(e.st, cfg)
	if err != nil {
		return nil, fmt.Errorf("bench: new client: %w", err)
	}
	return c, nil
}

// oneTier returns a Config whose MEDIUM tier — the workloads' single queue — has exactly
// workers concurrency: MaxWorkers caps it there, so neither upward help nor lending changes it.
func oneTier(workers int, h slaq.Handler) slaq.Config {
	return slaq.Config{
		Handler: h,
		Tiers:   map[slaq.Tier]slaq.TierConfig{slaq.Medium: {Workers: workers, MaxWorkers: workers}},
	}
}

// mark reads every CPU counter.
func (e *runEnv) mark() (cpuMark, error) {
	m := cpuMark{wall: clock(), redis: -1, machine: -1}
	var err error
	if m.self, err = selfCPU(); err != nil {
		return m, err
	}
	if e.admin != nil {
		info, err := e.admin.info("cpu")
		if err != nil {
			return m, err
		}
		var sum float64
		for _, f := range []string{"used_cpu_user", "used_cpu_sys"} {
			v, err := strconv.ParseFloat(info[f], 64)
			if err != nil {
				return m, fmt.Errorf("bench: INFO cpu %s: %w", f, err)
			}
			sum += v
		}
		m.redis = time.Duration(sum * float64(time.Second))
	}
	if d, err := machineCPU(); err == nil {
		m.machine = d
	}
	return m, nil
}

// cpu adds client_cpu_s, redis_cpu_s and other_cpu_s between two marks, and flags the run
// when other processes used more than busyOtherCPUShare of a core meanwhile.
func (e *runEnv) cpu(from, to cpuMark) {
	r := e.res
	client := to.self - from.self
	r.add("client_cpu_s", round3(client.Seconds()))
	var redis time.Duration
	if from.redis >= 0 {
		redis = to.redis - from.redis
		r.add("redis_cpu_s", round3(redis.Seconds()))
	} else {
		r.NA = append(r.NA, "redis_cpu_s")
	}
	if from.machine < 0 || to.machine < 0 {
		r.NA = append(r.NA, "other_cpu_s")
		return
	}
	// The machine counter ticks at 10 ms: clamp the rounding below zero away.
	other := max(to.machine-from.machine-client-redis, 0)
	r.add("other_cpu_s", round3(other.Seconds()))
	wall := time.Duration(to.wall - from.wall)
	if other.Seconds() > busyOtherCPUShare*wall.Seconds() {
		r.Flags = append(r.Flags, fmt.Sprintf("other processes used %.2f s of CPU during %.2f s", other.Seconds(), wall.Seconds()))
	}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// storeSize is the embedded store's file size, write-ahead log included.
func (e *runEnv) storeSize() (int64, error) {
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(e.dbPath + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("bench: size of the store file: %w", err)
		}
		total += fi.Size()
	}
	return total, nil
}

// stop stops c, with ctx bounding the grace period.
func stop(ctx context.Context, c *slaq.Client) error {
	if err := c.Stop(ctx); err != nil {
		return fmt.Errorf("bench: stop workers: %w", err)
	}
	return nil
}

// finish ends a measured run: it stops the workers, takes the closing CPU mark and fails the
// run if the handler saw a payload the bench did not enqueue (a harness bug).
func (e *runEnv) finish(ctx context.Context, c *slaq.Client, h *handler) (cpuMark, error) {
	if err := stop(ctx, c); err != nil {
		return cpuMark{}, err
	}
	cpu1, err := e.mark()
	if err != nil {
		return cpuMark{}, err
	}
	if n := h.errs.Load(); n > 0 {
		return cpuMark{}, fmt.Errorf("%d jobs carried a payload the bench did not enqueue", n)
	}
	return cpu1, nil
}
