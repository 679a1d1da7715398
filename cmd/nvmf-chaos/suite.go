package main

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

type suiteOptions struct {
	out      string
	duration time.Duration
	seed     int64
	quiet    bool
	nodes    string
	metrics  metricsOptions
}

func newSuiteCmd() *cobra.Command {
	var o suiteOptions
	cmd := &cobra.Command{
		Use:   "suite FILE|NAME",
		Short: "Run a suite of scenarios in order and judge them together",
		Long: `suite loads a kind: Suite document (a file, or a built-in: ` + fmt.Sprint(scenarios.BuiltinSuites()) + `),
validates every entry with its overrides before running any, then runs them in
order, each in its own folder (NN-NAME) under one suite folder, with a suite
summary.md (one row per scenario) and junit.xml beside them. Ctrl-C stops the
current scenario, tears it down and runs no more.

Exit codes: 0 every scenario passed, 1 an SLO failed, 2 a scenario could not run.`,
		Example: `  nvmf-chaos suite release --duration 30s
  nvmf-chaos suite my-suite.yaml --out /tmp/results --seed 7`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runSuite(cmd, args[0], &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "nvmf-chaos-results", "folder that receives the suite folder")
	f.DurationVar(&o.duration, "duration", 0, "scale every scenario's timeline to this measured duration")
	f.Int64Var(&o.seed, "seed", 0, "seed of every scenario (0: each entry's or scenario's, or a random one)")
	f.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	addMetricsFlags(cmd, &o.metrics)
	f.StringVar(&o.nodes, "nodes", "auto", "how nodes run: netns (network namespaces, needs root), loopback, or auto (netns when possible)")
	return cmd
}

func runSuite(cmd *cobra.Command, name string, o *suiteOptions) error {
	mode, err := nodeMode(o.nodes)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	ls, err := scenarios.LoadSuite(name, scenarios.SuiteOverrides{Duration: o.duration, Seed: o.seed})
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	dir := filepath.Join(o.out, fmt.Sprintf("%s-%06x", ls.Suite.Metadata.Name, rand.Uint32()&0xFFFFFF))
	metrics, err := startBatchMetrics(&o.metrics, cmd.ErrOrStderr(), "suite")
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	defer metrics.close()
	progress := cmd.ErrOrStderr()
	if o.quiet {
		progress = io.Discard
	}
	var aggs []*reports.Aggregate
	for i, r := range ls.Runs {
		if cmd.Context().Err() != nil {
			fmt.Fprintf(progress, "interrupted: not running %s\n", r.Source)
		} else {
			fmt.Fprintf(progress, "### %d/%d %s\n", i+1, len(ls.Runs), r.Source)
		}
		sub := filepath.Join(dir, r.Dir)
		cell, err := executeBatch(cmd, r.Batch, sub, batchOptions{quiet: o.quiet, mode: mode, metrics: metrics})
		if err != nil {
			return &exitError{code: exitCannotRun, err: err}
		}
		if !r.Batch.Single() {
			if werr := writeBatchOutputs(sub, r.Batch, cell); werr != nil {
				fmt.Fprintf(progress, "%s: %v\n", r.Dir, werr)
			}
		}
		aggs = append(aggs, cell...)
	}
	werr := errors.Join(writeSuiteOutputs(dir, ls, aggs), writeBatchReport(dir))
	title := "suite " + ls.Suite.Metadata.Name
	_ = reports.WriteAggregateSummary(cmd.OutOrStdout(), title, aggs)
	fmt.Fprintf(cmd.OutOrStdout(), "\nresults: %s\n", dir)
	return verdictExit(title, aggs, werr)
}

// writeSuiteOutputs writes the suite-level summary.md, junit.xml and
// suite.json.
func writeSuiteOutputs(dir string, ls *scenarios.LoadedSuite, aggs []*reports.Aggregate) error {
	title := "suite " + ls.Suite.Metadata.Name
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := map[string]func(io.Writer) error{
		"summary.md": func(w io.Writer) error { return reports.WriteAggregateSummary(w, title, aggs) },
		"junit.xml":  func(w io.Writer) error { return reports.WriteJUnit(w, aggregateResults(aggs)) },
		"suite.json": jsonWriter(map[string]any{"name": ls.Suite.Metadata.Name, "source": ls.Source, "scenarios": aggs}),
	}
	var errs []error
	for name, write := range files {
		if err := writeOutput(filepath.Join(dir, name), write); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("suite outputs: %v", errs)
	}
	return nil
}
