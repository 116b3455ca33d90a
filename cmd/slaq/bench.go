package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/slaqhq/slaq/internal/bench"
	"github.com/slaqhq/slaq/store/redisstore"
)

// benchDefaultRuns is WORKLOADS' default number of runs per workload variant.
const benchDefaultRuns = 3

// benchProgressEvery is how often a progress line reports a run still going.
const benchProgressEvery = 10 * time.Second

// benchChildFlag is the hidden flag that makes `slaq bench` run one run in this process and
// print its result as JSON on stdout: every run is one fresh OS process.
const benchChildFlag = "run-child"

// benchRunFlag is the hidden flag that tells a child run its number, for its profile's name.
const benchRunFlag = "run-number"

// benchFlags are `slaq bench`'s flags.
type benchFlags struct {
	store    string
	workload string
	variant  string
	runs     int
	jsonFile string
	redisURL string
	prefix   string
	dir      string
	profile  string
	block    string
	run      int
	child    bool
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench --store redis|embedded [--workload w1|w2|w3|w4|w5|all] [--runs 3] [--json FILE] [--variant NAME]",
		Short: "Run the benchmark workloads W1–W5 (bench/WORKLOADS.md)",
		Long: `bench runs the workloads of WORKLOADS.md against the Redis store (127.0.0.1:6379, or
REDIS_URL / REDIS_HOST, REDIS_PORT, REDIS_PASSWORD) or the embedded store (a fresh temporary
file per run). Each run is a fresh process; the table shows each metric's median [min–max]
over the runs. On Redis the bench only touches keys under its prefix (default "slaqbench").

Variants: w1 bulk|single, w2 default, w3 tiers|elastic, w4 default, w5 default.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.child {
				return benchChild(cmd, f)
			}
			return benchParent(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.store, "store", "", "store to measure: redis or embedded (required)")
	fl.StringVar(&f.workload, "workload", "all", "workload: w1, w2, w3, w4, w5 or all")
	fl.StringVar(&f.variant, "variant", "", "run only this variant (default: every variant of the workload)")
	fl.IntVar(&f.runs, "runs", benchDefaultRuns, "runs per workload variant, each in a fresh process")
	fl.StringVar(&f.jsonFile, "json", "", "write one JSON object per workload variant to `FILE`")
	fl.StringVar(&f.redisURL, "redis-url", "", "Redis URL (default: REDIS_URL, else REDIS_HOST/REDIS_PORT, else 127.0.0.1:6379)")
	fl.StringVar(&f.prefix, "prefix", bench.DefaultPrefix, "Redis key prefix of the bench's jobs; only these keys are deleted")
	fl.StringVar(&f.dir, "dir", "", "directory for the embedded store's temporary files (default: the system's)")
	fl.StringVar(&f.profile, "cpuprofile", "", "write each run's CPU profile to `PREFIX`-WORKLOAD-VARIANT-RUN.pprof")
	fl.StringVar(&f.block, "blockprofile", "", "write each run's blocking profile (where goroutines wait) to `PREFIX`-WORKLOAD-VARIANT-RUN.pprof")
	fl.IntVar(&f.run, benchRunFlag, 0, "the run's number (child runs only)")
	_ = fl.MarkHidden(benchRunFlag)
	fl.BoolVar(&f.child, benchChildFlag, false, "run one run in this process and print its result as JSON")
	_ = fl.MarkHidden(benchChildFlag)
	_ = cmd.MarkFlagRequired("store")
	cmd.AddCommand(newBenchSoakCmd())
	return cmd
}

// benchItem is one workload variant to run.
type benchItem struct {
	workload, variant string
}

// benchPlan lists the workload variants the flags select.
func benchPlan(f benchFlags) ([]benchItem, error) {
	if f.store != bench.StoreRedis && f.store != bench.StoreEmbedded {
		return nil, fmt.Errorf("--store %q: want %s or %s", f.store, bench.StoreRedis, bench.StoreEmbedded)
	}
	if f.runs < 1 {
		return nil, fmt.Errorf("--runs %d: want at least 1", f.runs)
	}
	var ws []bench.Workload
	if strings.EqualFold(f.workload, "all") {
		ws = bench.Workloads
	} else {
		w, err := bench.Find(f.workload)
		if err != nil {
			return nil, err
		}
		ws = []bench.Workload{w}
	}
	var plan []benchItem
	for _, w := range ws {
		for _, v := range w.Variants {
			if f.variant == "" || f.variant == v {
				plan = append(plan, benchItem{w.Name, v})
			}
		}
	}
	if len(plan) == 0 {
		return nil, fmt.Errorf("--variant %q: no selected workload has it", f.variant)
	}
	return plan, nil
}

// benchParent runs every selected workload variant f.runs times, each run in a child
// process, and prints (and with --json writes) the aggregated figures.
func benchParent(cmd *cobra.Command, f benchFlags) error {
	plan, err := benchPlan(f)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: find this executable to re-run it: %w", err)
	}
	var jsonOut io.Writer
	if f.jsonFile != "" {
		file, err := os.Create(f.jsonFile)
		if err != nil {
			return fmt.Errorf("bench: --json: %w", err)
		}
		defer file.Close()
		jsonOut = file
	}
	ctx := cmd.Context()
	out, progress := cmd.OutOrStdout(), cmd.ErrOrStderr()
	began := time.Now()
	var failed []error
	for _, it := range plan {
		var runs []*bench.Result
		for run := 1; run <= f.runs; run++ {
			label := fmt.Sprintf("%s %s on %s, run %d/%d", it.workload, it.variant, f.store, run, f.runs)
			fmt.Fprintf(progress, "slaq bench: %s … (%s elapsed)\n", label, time.Since(began).Round(time.Second))
			res, err := benchChildRun(ctx, exe, f, it, run, progress, label)
			if err != nil {
				failed = append(failed, fmt.Errorf("%s: %w", label, err))
				fmt.Fprintf(progress, "slaq bench: %s failed: %v\n", label, err)
				break
			}
			runs = append(runs, res)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if len(runs) == 0 {
			continue
		}
		sum := bench.Summarize(runs)
		if err := sum.WriteTable(out); err != nil {
			return err
		}
		if jsonOut != nil {
			if err := sum.WriteJSON(jsonOut); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(progress, "slaq bench: finished in %s\n", time.Since(began).Round(time.Second))
	return errors.Join(failed...)
}

// benchChildRun runs one run in a fresh process and decodes its result, printing a progress
// line every benchProgressEvery while it runs. The child's stderr is passed through.
func benchChildRun(ctx context.Context, exe string, f benchFlags, it benchItem, run int, progress io.Writer, label string) (*bench.Result, error) {
	args := []string{"bench", "--" + benchChildFlag, "--store", f.store, "--workload", it.workload,
		"--variant", it.variant, "--prefix", f.prefix, "--runs", "1", "--" + benchRunFlag, strconv.Itoa(run)}
	if f.profile != "" {
		args = append(args, "--cpuprofile", f.profile)
	}
	if f.block != "" {
		args = append(args, "--blockprofile", f.block)
	}
	if f.redisURL != "" {
		args = append(args, "--redis-url", f.redisURL)
	}
	if f.dir != "" {
		args = append(args, "--dir", f.dir)
	}
	c := exec.CommandContext(ctx, exe, args...)
	var stdout bytes.Buffer
	c.Stdout, c.Stderr = &stdout, progress
	start := time.Now()
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("start the run's process: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	tick := time.NewTicker(benchProgressEvery)
	defer tick.Stop()
	for {
		select {
		case err := <-waited:
			if err != nil {
				return nil, fmt.Errorf("the run's process: %w", err)
			}
			var res bench.Result
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				return nil, fmt.Errorf("decode the run's result %q: %w", stdout.String(), err)
			}
			fmt.Fprintf(progress, "slaq bench: %s done in %s\n", label, time.Since(start).Round(time.Millisecond))
			return &res, nil
		case <-tick.C:
			fmt.Fprintf(progress, "slaq bench: %s … %s\n", label, time.Since(start).Round(time.Second))
		}
	}
}

// benchBlockProfileRate samples every blocking event (runtime.SetBlockProfileRate's 1): the
// runs are short, and the profile is only taken on request.
const benchBlockProfileRate = 1

// profileName names a child run's profile file.
func profileName(prefix string, f benchFlags) string {
	return fmt.Sprintf("%s-%s-%s-%d.pprof", prefix, f.workload, f.variant, f.run)
}

// writeProfile writes the named runtime profile to file.
func writeProfile(profile, file string) error {
	out, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("bench: %s profile: %w", profile, err)
	}
	defer out.Close()
	if err := pprof.Lookup(profile).WriteTo(out, 0); err != nil {
		return fmt.Errorf("bench: %s profile: %w", profile, err)
	}
	return nil
}

// benchChild runs one run in this process and prints its result as one JSON object.
func benchChild(cmd *cobra.Command, f benchFlags) error {
	t := bench.Target{Store: f.store, Dir: f.dir}
	if f.store == bench.StoreRedis {
		var err error
		if f.redisURL != "" {
			t.Redis, err = redisstore.ParseURL(f.redisURL)
		} else {
			t.Redis, err = redisstore.FromEnv()
		}
		if err != nil {
			return fmt.Errorf("bench: Redis address: %w", err)
		}
		if t.Redis.Prefix == "" {
			t.Redis.Prefix = f.prefix
		}
	}
	if f.profile != "" {
		file, err := os.Create(profileName(f.profile, f))
		if err != nil {
			return fmt.Errorf("bench: --cpuprofile: %w", err)
		}
		defer file.Close()
		if err := pprof.StartCPUProfile(file); err != nil {
			return fmt.Errorf("bench: --cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	if f.block != "" {
		runtime.SetBlockProfileRate(benchBlockProfileRate)
		defer func() {
			if err := writeProfile("block", profileName(f.block, f)); err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
			}
		}()
	}
	res, err := bench.Run(cmd.Context(), t, bench.DefaultParams(), f.workload, f.variant)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(cmd.OutOrStdout()).Encode(res); err != nil {
		return fmt.Errorf("bench: write the run's result: %w", err)
	}
	return nil
}
