package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nvmf-chaos/nvmf-chaos/internal/live"
	"github.com/nvmf-chaos/nvmf-chaos/reports/prom"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
	// The nvme+tcp backend registers itself with workloads.Open.
	_ "github.com/nvmf-chaos/nvmf-chaos/workloads/nvmeof"
)

// benchFioFlags are the fio options bench takes as flags, with fio's names.
// Values follow "=" or a space; booleans may also stand alone (--time_based
// means --time_based=1).
var benchFioFlags = []struct {
	name, usage string
	boolean     bool
}{
	{"rw", "I/O pattern: read, write, randread, randwrite, rw, randrw", false},
	{"bs", "block size (4k, 64k, ...)", false},
	{"bssplit", "block size mix (4k/70:64k/30)", false},
	{"iodepth", "I/Os each worker keeps outstanding", false},
	{"numjobs", "workers (clones) per job", false},
	{"size", "bytes each worker addresses (default: the whole target from --offset)", false},
	{"offset", "start of the region", false},
	{"runtime", "run time after the ramp (10s, 1m; bare numbers are seconds)", false},
	{"time_based", "run for runtime even when size is done", true},
	{"ramp_time", "time before recording starts", false},
	{"rate_iops", "IOPS cap per worker (R or R,W)", false},
	{"rate", "bytes/s cap per worker (R or R,W)", false},
	{"rwmixread", "percentage of reads in rw/randrw", false},
	{"norandommap", "draw random offsets with repeats", true},
	{"verify", "crc32c, md5, crc64, sha256, xxhash, meta, pattern...: stamp every written block and check what is read", false},
	{"do_verify", "read back everything written after the run (with verify)", true},
	{"randseed", "seed of the offset and direction sequence", false},
	{"direct", "O_DIRECT where the backend supports it (default 1)", true},
}

type benchOptions struct {
	target   string
	fioFile  string
	name     string
	format   string
	results  string
	seed     string
	interval time.Duration
	metrics  metricsOptions
	extra    []fioOption // fio options without a flag of their own
}

func newBenchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench --target URL [fio options] | --fio FILE",
		Short: "Run fio-style jobs against a target and report IOPS, latency and data integrity",
		Long: `bench runs fio-style jobs with the nvmf-chaos engine. Targets:
  nvme+tcp://HOST:PORT/NQN[?nsid=N]  the Go NVMe/TCP host
  file:///path                       a regular file or block device (O_DIRECT)
  null://SIZE                        no I/O: the engine's own overhead

Job options are fio's, as flags (--rw randread --bs 4k --iodepth 32, or --rw=randread
as fio writes them; --direct alone means --direct=1) or from a fio job file
(--fio FILE; flags given too override every job of the file). Any other fio
option bench supports is taken the same way (--ioengine=libaio --group_reporting).

Exit codes: 0 ran, 1 verification found lost or corrupted writes (the job's error
is fio's 84, EILSEQ, and each damaged block is reported in fio's words), 2 could not
run. fio exits with the number of jobs that failed; bench keeps 1 for any number,
so that 2 always means could not run.`,
		Example: `  nvmf-chaos bench --target nvme+tcp://127.0.0.1:4420/NQN --rw randread --bs 4k --iodepth 32 --runtime 10s
  nvmf-chaos bench --target file:///tmp/bench.dat --size 1g --rw randrw --verify crc32c --runtime 30s
  nvmf-chaos bench --fio jobs/oltp.fio --output-format json`,
		// Flags are parsed by parseBenchArgs, as fio reads them.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			help, err := parseBenchArgs(cmd, args, &o)
			switch {
			case err != nil:
				return &exitError{code: exitCannotRun, err: err}
			case help:
				return cmd.Help()
			}
			return runBench(cmd, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", "target URL (replaces filename=, directory= and filename_format= of every job of a job file)")
	f.StringVar(&o.fioFile, "fio", "", "fio job file to run")
	f.StringVar(&o.name, "name", "bench", "job name when no job file is given")
	f.StringVar(&o.format, "output-format", "normal", "normal, json (fio's layout) or json+ (json with fio's latency bins)")
	f.StringVar(&o.results, "results", "", "also write the full record (per-interval series, HDR histograms, errors) as JSON to this file")
	f.StringVar(&o.seed, "seed", "", "alias of --randseed")
	f.DurationVar(&o.interval, "interval", workloads.DefaultInterval, "length of one entry of the per-interval series")
	addMetricsFlags(cmd, &o.metrics)
	for _, fl := range benchFioFlags {
		f.String(fl.name, "", fl.usage)
		if fl.boolean {
			f.Lookup(fl.name).NoOptDefVal = "1" // --time_based alone means on
		}
	}
	return cmd
}

// cannotRun marks an error as "the benchmark could not run" (exit 2).
func cannotRun(format string, a ...any) error {
	return &exitError{code: exitCannotRun, err: fmt.Errorf(format, a...)}
}

func runBench(cmd *cobra.Command, o *benchOptions) error {
	if o.format != "normal" && o.format != "json" && o.format != "json+" {
		return cannotRun("--output-format %q: want normal, json or json+", o.format)
	}
	jobs, err := benchJobs(cmd.Flags(), o)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	target, err := benchTarget(o.target, jobs)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	ctx := cmd.Context()
	dev, err := workloads.Open(ctx, target, workloads.OpenOptionsFor(jobs))
	if err != nil {
		return cannotRun("--target %q: %w", target, err)
	}
	defer dev.Close()
	start := time.Now()
	lr := live.New(live.Info{Scenario: "bench", RunID: fmt.Sprintf("%06x", start.UnixNano()&0xFFFFFF), Command: "bench"})
	eng, err := workloads.NewEngine(dev, jobs, workloads.WithStart(start), workloads.WithInterval(o.interval),
		workloads.WithObserver(liveObserver{lr.Workload("", target)}))
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	finishMetrics, err := startMetrics(&o.metrics, prom.New(lr), cmd.ErrOrStderr())
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	lr.Begin(start, workloads.PlannedLength(jobs))
	res, err := eng.Run(ctx)
	if merr := finishMetrics(ctx); merr != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "nvmf-chaos: metrics: %v\n", merr)
	}
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	if err := writeBench(cmd.OutOrStdout(), o.format, res, start); err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	if err := writeResults(o.results, res); err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	// fio writes its log files (write_bw_log=...) where it runs.
	_, notes, err := workloads.WriteFioLogs(".", res)
	for _, n := range notes {
		fmt.Fprintf(cmd.ErrOrStderr(), "note: %s\n", n)
	}
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	switch {
	case res.VerifyFailures() > 0:
		return &exitError{code: exitSLOFailed, err: fmt.Errorf("verification failed: %d lost, stale or corrupt blocks", res.VerifyFailures())}
	case len(res.JobErrors()) > 0:
		return &exitError{code: exitSLOFailed, err: fmt.Errorf("jobs stopped in error: %s", strings.Join(res.JobErrors(), "; "))}
	case res.Cancelled:
		return cannotRun("interrupted before the end of the run")
	}
	return nil
}

func writeBench(w io.Writer, format string, res *workloads.Result, start time.Time) error {
	switch format {
	case "json":
		return workloads.WriteJSON(w, res, start)
	case "json+":
		return workloads.WriteJSONPlus(w, res, start)
	}
	return workloads.WriteSummary(w, res)
}

// writeResults saves the raw Result, from which every report can be redone.
func writeResults(path string, res *workloads.Result) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(res, "", " ")
	if err != nil {
		return fmt.Errorf("--results: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("--results: %w", err)
	}
	return nil
}

// benchJobs builds the jobs from --fio or the flags; fio option flags given
// with --fio apply to every job of the file.
func benchJobs(flags *pflag.FlagSet, o *benchOptions) ([]workloads.Job, error) {
	jobs := []workloads.Job{workloads.DefaultJob(o.name)}
	if o.fioFile != "" {
		var opts []workloads.ParseOption
		if o.target != "" {
			opts = append(opts, workloads.WithTarget(o.target))
		}
		var err error
		if jobs, err = workloads.ParseFioFile(o.fioFile, opts...); err != nil {
			return nil, fmt.Errorf("--fio: %w", err)
		}
	}
	if o.seed != "" {
		if flags.Changed("randseed") {
			return nil, errors.New("--seed and --randseed: give one")
		}
		if err := flags.Set("randseed", o.seed); err != nil {
			return nil, fmt.Errorf("--seed %q: %w", o.seed, err)
		}
	}
	given := make([]fioOption, 0, len(benchFioFlags)+len(o.extra))
	for _, fl := range benchFioFlags {
		if flags.Changed(fl.name) {
			given = append(given, fioOption{fl.name, flags.Lookup(fl.name).Value.String()})
		}
	}
	given = append(given, o.extra...)
	for i := range jobs {
		for _, opt := range given {
			if err := workloads.ApplyOption(&jobs[i], opt.name, opt.value); err != nil {
				if oe := (*workloads.OptionError)(nil); errors.As(err, &oe) {
					err = oe.Err // the flag names the option and its value
				}
				return nil, fmt.Errorf("--%s %q: %w", opt.name, opt.value, err)
			}
		}
		if err := jobs[i].Validate(); err != nil {
			return nil, err
		}
	}
	return jobs, nil
}

// benchTarget picks the one target all jobs run on.
func benchTarget(flag string, jobs []workloads.Job) (string, error) {
	if flag != "" {
		return flag, nil
	}
	t := jobs[0].Target
	for _, j := range jobs[1:] {
		if j.Target != t {
			return "", fmt.Errorf("jobs %q and %q name different targets (%q, %q): run them separately", jobs[0].Name, j.Name, t, j.Target)
		}
	}
	if t == "" {
		return "", errors.New("no target: give --target URL (nvme+tcp://HOST:PORT/NQN, file:///path, null://SIZE) or filename= in the job file")
	}
	return t, nil
}
