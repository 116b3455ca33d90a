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
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
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

// benchDurationFlag is the flag that sets rl's measured window; a child gets it only when it
// was given, so that an older build (--compare) is never passed a flag it lacks.
const benchDurationFlag = "duration"

// benchBurstFlag is the flag that sets rl's burst; like --duration, passed on only when given.
const benchBurstFlag = "rl-burst"

// benchArrivalsFlag is the flag that sets rl's arrival process; passed on only when given.
const benchArrivalsFlag = "rl-arrivals"

// benchThisBuild labels the running executable's runs when builds are compared.
const benchThisBuild = "this build"

// benchFlags are `slaq bench`'s flags.
type benchFlags struct {
	store    string
	workload string
	variant  string
	runs     int
	duration time.Duration
	burst    int
	arrivals string
	compare  []string
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
		Use:   "bench --store redis|embedded [--workload w1|w2|w3|w4|w5|rl|all] [--runs 3] [--json FILE] [--variant NAME[,NAME]] [--compare EXE]",
		Short: "Run the benchmark workloads W1–W5 (bench/WORKLOADS.md) and the rate-limit workload rl",
		Long: `bench runs the workloads of WORKLOADS.md against the Redis store (127.0.0.1:6379, or
REDIS_URL / REDIS_HOST, REDIS_PORT, REDIS_PASSWORD) or the embedded store (a fresh temporary
file per run). Each run is a fresh process; the table shows each metric's median [min–max]
over the runs. On Redis the bench only touches keys under its prefix (default "slaqbench").

Runs go in rounds: round k runs the k-th run of every selected variant (and build), each
round in a rotated order, so that variants compared with each other run side by side.

Variants: w1 bulk|single|bulk-idle-limit, w2 default, w3 tiers|default|elastic, w4 default,
w5 default, rl with|without|same-rate. all is W1–W5; rl (slaq's rate-limit workload, 60 s of measure
per run by default, --duration, --rl-burst and --rl-arrivals to change it) runs only when
named. After the tables come
ratios: w1 bulk-idle-limit / bulk, rl with / without and with / same-rate, and with --compare each variant run by
this build over the same variant run by the other executable (e.g. one built from an older
commit; with several, each later one over the first too), run by run and of the medians.`,
		Example: `  slaq bench --store redis --workload rl --runs 3
  slaq bench --store redis --workload rl --runs 1 --duration 10s
  slaq bench --store redis --workload w1 --variant bulk,single --runs 5 --compare ./slaq-before`,
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
	fl.StringVar(&f.workload, "workload", "all", "workload: w1, w2, w3, w4, w5, rl or all (W1–W5)")
	fl.StringVar(&f.variant, "variant", "", "run only these variants, comma-separated (default: every variant of the workload)")
	fl.IntVar(&f.runs, "runs", benchDefaultRuns, "runs per workload variant, each in a fresh process")
	fl.DurationVar(&f.duration, benchDurationFlag, bench.RLMeasureDefault, "rl: the measured window (the unlimited stream's length, the span the limited rate is counted over)")
	fl.IntVar(&f.burst, benchBurstFlag, bench.RLLimitBurstDefault, "rl: the limited type's RateLimit.Burst")
	fl.StringVar(&f.arrivals, benchArrivalsFlag, bench.RLArrivalsDefault, "rl: how the open-loop streams space their jobs: poisson or periodic")
	fl.StringArrayVar(&f.compare, "compare", nil, "also run every selected variant with this slaq `EXE` (repeatable), interleaved, and report this build's figures over its")
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

// benchItem is one workload variant to run, by this executable (exe "") or another.
type benchItem struct {
	workload, variant string
	exe               string
}

// build labels the executable that runs it.
func (it benchItem) build() string {
	if it.exe == "" {
		return benchThisBuild
	}
	return it.exe
}

// benchPlan lists the workload variants the flags select, each once per build: this one,
// then each --compare executable.
func benchPlan(f benchFlags) ([]benchItem, error) {
	if f.store != bench.StoreRedis && f.store != bench.StoreEmbedded {
		return nil, fmt.Errorf("--store %q: want %s or %s", f.store, bench.StoreRedis, bench.StoreEmbedded)
	}
	if f.runs < 1 {
		return nil, fmt.Errorf("--runs %d: want at least 1", f.runs)
	}
	if f.duration < 0 {
		return nil, fmt.Errorf("--duration %v: want a positive window", f.duration)
	}
	if f.arrivals != "" && f.arrivals != bench.RLArrivalsPoisson && f.arrivals != bench.RLArrivalsPeriodic {
		return nil, fmt.Errorf("--%s %q: want %s or %s", benchArrivalsFlag, f.arrivals, bench.RLArrivalsPoisson, bench.RLArrivalsPeriodic)
	}
	var ws []bench.Workload
	if strings.EqualFold(f.workload, "all") {
		for _, w := range bench.Workloads {
			if !w.Named {
				ws = append(ws, w)
			}
		}
	} else {
		w, err := bench.Find(f.workload)
		if err != nil {
			return nil, err
		}
		ws = []bench.Workload{w}
	}
	var want []string
	if f.variant != "" {
		want = strings.Split(f.variant, ",")
	}
	builds := append([]string{""}, f.compare...)
	var plan []benchItem
	used := map[string]bool{}
	for _, w := range ws {
		for _, v := range w.Variants {
			if len(want) > 0 && !slices.Contains(want, v) {
				continue
			}
			used[v] = true
			for _, b := range builds {
				plan = append(plan, benchItem{workload: w.Name, variant: v, exe: b})
			}
		}
	}
	for _, v := range want {
		if !used[v] {
			return nil, fmt.Errorf("--variant %q: no selected workload has it", v)
		}
	}
	return plan, nil
}

// benchParent runs every planned item f.runs times, each run in a child process, in rounds
// (round k runs every item's k-th run, starting one item further each round, so that items
// compared with each other run side by side), then prints (and with --json writes) the
// aggregated figures and the ratios.
func benchParent(cmd *cobra.Command, f benchFlags) error {
	if !cmd.Flags().Changed(benchDurationFlag) {
		f.duration = 0 // the children's default
	}
	if !cmd.Flags().Changed(benchArrivalsFlag) {
		f.arrivals = "" // the children's default
	}
	if !cmd.Flags().Changed(benchBurstFlag) {
		f.burst = -1 // the children's default
	} else if f.burst < 0 {
		return fmt.Errorf("--%s %d: want 0 or more", benchBurstFlag, f.burst)
	}
	for i, exe := range f.compare {
		abs, err := filepath.Abs(exe)
		if err == nil {
			_, err = os.Stat(abs)
		}
		if err != nil {
			return fmt.Errorf("--compare %s: %w", exe, err)
		}
		f.compare[i] = abs
	}
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
	runs := make([][]*bench.Result, len(plan))
	broken := make([]bool, len(plan))
	for run := 1; run <= f.runs; run++ {
		for _, i := range benchRound(len(plan), run) {
			if broken[i] {
				continue
			}
			it := plan[i]
			label := fmt.Sprintf("%s %s on %s, run %d/%d", it.workload, it.variant, f.store, run, f.runs)
			if len(f.compare) > 0 {
				label += ", " + it.build()
			}
			fmt.Fprintf(progress, "slaq bench: %s … (%s elapsed)\n", label, time.Since(began).Round(time.Second))
			childExe := exe
			if it.exe != "" {
				childExe = it.exe
			}
			res, err := benchChildRun(ctx, childExe, f, it, run, progress, label)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err != nil {
				failed = append(failed, fmt.Errorf("%s: %w", label, err))
				fmt.Fprintf(progress, "slaq bench: %s failed: %v\n", label, err)
				broken[i] = true
				continue
			}
			runs[i] = append(runs[i], res)
		}
	}
	for i, it := range plan {
		if len(runs[i]) == 0 {
			continue
		}
		sum := bench.Summarize(runs[i])
		if len(f.compare) > 0 {
			sum.Build = it.build()
		}
		if err := sum.WriteTable(out); err != nil {
			return err
		}
		if jsonOut != nil {
			if err := sum.WriteJSON(jsonOut); err != nil {
				return err
			}
		}
	}
	for _, c := range benchComparisons(plan, runs, len(f.compare) > 0) {
		if err := c.WriteTable(out); err != nil {
			return err
		}
		if jsonOut != nil {
			if err := c.WriteJSON(jsonOut); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(progress, "slaq bench: finished in %s\n", time.Since(began).Round(time.Second))
	return errors.Join(failed...)
}

// benchRound is the order of round run (from 1) over n items: each round starts one item
// further than the one before, so that no item always runs first or right after another.
func benchRound(n, run int) []int {
	order := make([]int, n)
	for k := range order {
		order[k] = (k + run - 1) % n
	}
	return order
}

// benchComparisons divides the workloads' Key metrics: each workload's Pairs of variants, per
// build, then every variant run by this build over the same variant run by each other build,
// and by each --compare build after the first over the first (e.g. two older commits).
func benchComparisons(plan []benchItem, runs [][]*bench.Result, builds bool) []*bench.Comparison {
	find := func(w, v, exe string) []*bench.Result {
		for i, it := range plan {
			if it.workload == w && it.variant == v && it.exe == exe {
				return runs[i]
			}
		}
		return nil
	}
	var out []*bench.Comparison
	for _, it := range plan {
		w, _ := bench.Find(it.workload)
		for _, pair := range w.Pairs {
			if it.variant != pair[0] {
				continue
			}
			of, to := find(w.Name, pair[0], it.exe), find(w.Name, pair[1], it.exe)
			if len(of) == 0 || len(to) == 0 {
				continue
			}
			ofL, toL := pair[0], pair[1]
			if builds {
				ofL, toL = it.build()+" "+ofL, it.build()+" "+toL
			}
			out = append(out, bench.Compare(of, to, ofL, toL, w.Key))
		}
	}
	first := ""
	for _, it := range plan {
		if it.exe == "" {
			continue
		}
		if first == "" {
			first = it.exe
		}
		w, _ := bench.Find(it.workload)
		pairs := [][2]string{{"", it.exe}}
		if it.exe != first {
			pairs = append(pairs, [2]string{it.exe, first})
		}
		for _, p := range pairs {
			of, to := find(it.workload, it.variant, p[0]), find(it.workload, it.variant, p[1])
			if len(of) == 0 || len(to) == 0 {
				continue
			}
			ofIt, toIt := benchItem{exe: p[0]}, benchItem{exe: p[1]}
			out = append(out, bench.Compare(of, to, ofIt.build()+" "+it.variant, toIt.build()+" "+it.variant, w.Key))
		}
	}
	return out
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
	if f.duration > 0 {
		args = append(args, "--"+benchDurationFlag, f.duration.String())
	}
	if f.burst >= 0 {
		args = append(args, "--"+benchBurstFlag, strconv.Itoa(f.burst))
	}
	if f.arrivals != "" {
		args = append(args, "--"+benchArrivalsFlag, f.arrivals)
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
	p := bench.DefaultParams()
	p.RL.Measure, p.RL.LimitBurst, p.RL.Arrivals = f.duration, f.burst, f.arrivals
	res, err := bench.Run(cmd.Context(), t, p, f.workload, f.variant)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(cmd.OutOrStdout()).Encode(res); err != nil {
		return fmt.Errorf("bench: write the run's result: %w", err)
	}
	return nil
}
