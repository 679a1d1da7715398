package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/internal/live"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

type runOptions struct {
	out      string
	seed     int64
	duration time.Duration
	warmup   time.Duration
	quiet    bool
	metrics  metricsOptions
}

func newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Run a scenario (file or built-in name) and judge it against its SLOs",
		Long: `run provisions the scenario's nodes and volumes on this machine (embedded targets
on loopback), drives its workloads through the Go NVMe/TCP host, fires its faults on
the timeline, verifies the data, and judges the SLOs. It writes results.json,
junit.xml and summary.md into a folder under --out and prints the summary.

Exit codes: 0 every SLO passed, 1 an SLO failed, 2 the scenario could not run.`,
		Example: `  nvmf-chaos run baseline
  nvmf-chaos run ana-failover --out /tmp/results
  nvmf-chaos run my-scenario.yaml --seed 42`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runScenario(cmd, args[0], &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "nvmf-chaos-results", "folder that receives one sub-folder per run")
	f.Int64Var(&o.seed, "seed", 0, "seed for offsets (0: the scenario's, or a random one printed in the result)")
	f.DurationVar(&o.duration, "duration", 0, "override timeline.duration (faults must still fit)")
	f.DurationVar(&o.warmup, "warmup", 0, "override timeline.warmup")
	f.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	addMetricsFlags(cmd, &o.metrics)
	return cmd
}

func runScenario(cmd *cobra.Command, name string, o *runOptions) error {
	loaded, err := scenarios.Load(name)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	s := loaded.Scenario
	if err := applyRunOverrides(s, loaded.Source, o); err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	bin, err := os.Executable()
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("find own binary: %w", err)}
	}
	r := scenarios.NewRunner(s, scenarios.RunOptions{Binary: bin})
	dir := filepath.Join(o.out, fmt.Sprintf("%s-%s", s.Metadata.Name, r.RunID()))
	lr := live.New(live.Info{Scenario: s.Metadata.Name, RunID: r.RunID(), Command: "run"})
	finishMetrics, err := startMetrics(&o.metrics, lr, cmd.ErrOrStderr())
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	progress, stopProgress := startProgress(cmd.ErrOrStderr(), lr, o.quiet)
	r = scenarios.NewRunner(s, scenarios.RunOptions{Binary: bin, Progress: progress, RunID: r.RunID(), Dir: dir, Live: lr})
	res, runErr := r.Run(cmd.Context())
	stopProgress()
	lr.Finish(res)
	if err := finishMetrics(cmd.Context()); err != nil {
		// The scenario's verdict stands; the lost metrics are reported.
		fmt.Fprintf(cmd.ErrOrStderr(), "nvmf-chaos: metrics: %v\n", err)
	}
	if werr := writeRunOutputs(dir, res); werr != nil {
		runErr = errors.Join(runErr, werr)
	}
	if res != nil {
		_ = reports.WriteSummary(cmd.OutOrStdout(), []*reports.Result{res})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nresults: %s (seed %d)\n", dir, r.Seed())
	switch {
	case runErr != nil:
		return &exitError{code: exitCannotRun, err: fmt.Errorf("scenario %s could not run: %w", s.Metadata.Name, runErr)}
	case res.Evaluation != nil && !res.Evaluation.Pass:
		return &exitError{code: exitSLOFailed, err: fmt.Errorf("scenario %s: SLO failed", s.Metadata.Name)}
	}
	return nil
}

// applyRunOverrides applies --seed/--duration/--warmup and validates again,
// so a shortened run whose faults no longer fit is refused up front.
func applyRunOverrides(s *scenarios.Scenario, source string, o *runOptions) error {
	if o.seed != 0 {
		s.Seed = o.seed
	}
	if o.duration != 0 {
		s.Timeline.Duration = scenarios.Duration(o.duration)
	}
	if o.warmup != 0 {
		s.Timeline.Warmup = scenarios.Duration(o.warmup)
	}
	if o.duration != 0 || o.warmup != 0 {
		return scenarios.Validate(s, source)
	}
	return nil
}

// writeRunOutputs saves the record and its CI views, even for a run that
// failed half-way: the evidence matters most then.
func writeRunOutputs(dir string, res *reports.Result) error {
	if res == nil {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := res.WriteFile(filepath.Join(dir, "results.json")); err != nil {
		return fmt.Errorf("results.json: %w", err)
	}
	for name, write := range map[string]func(io.Writer, []*reports.Result) error{
		"junit.xml": reports.WriteJUnit, "summary.md": reports.WriteSummary} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		err = write(f, []*reports.Result{res})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
