package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq/dlq"
	"github.com/slaqhq/slaq/internal/faults"
	"github.com/slaqhq/slaq/store"
	"github.com/slaqhq/slaq/store/redisstore"
	"github.com/slaqhq/slaq/store/sqlitestore"
)

// newBenchSoakCmd is `slaq bench soak`: the long soak of the fault suite (internal/faults),
// whose test runs a bounded version of it.
func newBenchSoakCmd() *cobra.Command {
	var (
		storeName, redisURL, prefix, dir string
		p                                faults.SoakParams
	)
	cmd := &cobra.Command{
		Use:   "soak --store redis|embedded [--jobs 200000] [--fail 0.05] [--panic 0.01]",
		Short: "Soak: many mixed jobs with random failures and panics; check that every count reconciles",
		Long: `soak enqueues --jobs jobs over the five tiers, runs them with handlers that fail --fail and
panic --panic of attempts (retried at once, dead-lettered into an SQLite file when exhausted),
and checks that enqueued = completed + dead-lettered, that every exhausted job has one
dead-letter row, that nothing completed twice and that the store is empty afterwards. It exits
1 when a count does not reconcile. On Redis it uses keys under --prefix only and deletes none.`,
		Example: `  slaq bench soak --jobs 200000                 # on Redis at 127.0.0.1:6379
  slaq bench soak --store embedded --jobs 20000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if dir == "" {
				d, err := os.MkdirTemp("", "slaq-soak-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(d)
				dir = d
			}
			var st store.Store
			switch storeName {
			case "redis":
				opts, err := redisstore.FromEnv()
				if redisURL != "" {
					opts, err = redisstore.ParseURL(redisURL)
				}
				if err != nil {
					return err
				}
				opts.Prefix = prefix
				rs, err := redisstore.New(ctx, opts)
				if err != nil {
					return err
				}
				defer rs.Close()
				st = rs
			case "embedded":
				es, err := sqlitestore.Open(ctx, filepath.Join(dir, "soak.db"), sqlitestore.Options{})
				if err != nil {
					return err
				}
				defer es.Close()
				st = es
			default:
				return fmt.Errorf("--store %q: want redis or embedded", storeName)
			}
			dead, err := dlq.Open(ctx, filepath.Join(dir, "dead-letters.db"))
			if err != nil {
				return err
			}
			defer dead.Close()
			out := cmd.ErrOrStderr()
			p.Progress = func(s string) { fmt.Fprintln(out, "soak:", s) }
			res, err := faults.Soak(context.WithoutCancel(ctx), st, dead, p)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res)
			if !res.Reconciled() {
				return fmt.Errorf("soak: the counts do not reconcile")
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&storeName, "store", "redis", "store: redis or embedded")
	fl.IntVar(&p.Jobs, "jobs", faults.SoakJobsDefault, "jobs to enqueue, spread over the five tiers")
	fl.Float64Var(&p.FailRate, "fail", faults.SoakFailRateDefault, "share of attempts that return an error")
	fl.Float64Var(&p.PanicRate, "panic", faults.SoakPanicRateDefault, "share of attempts that panic")
	fl.StringVar(&redisURL, "redis-url", "", "Redis URL (default: REDIS_URL, else REDIS_HOST/REDIS_PORT, else 127.0.0.1:6379)")
	fl.StringVar(&prefix, "prefix", "slaqsoak", "Redis key prefix of the soak's jobs")
	fl.StringVar(&dir, "dir", "", "directory for the dead-letter file and the embedded store (default: a fresh temporary one)")
	return cmd
}
