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
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/reports/prom"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

type runOptions struct {
	out      string
	seed     int64
	duration time.Duration
	warmup   time.Duration
	repeat   int
	quiet    bool
	spdkBin  string
	nodes    string
	metrics  metricsOptions
	// kubeconfig and kubeContext pick the cluster of a kubernetes run.
	kubeconfig, kubeContext string
	// dryRun prints a kubernetes run's objects and creates nothing.
	dryRun bool
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

With cluster.backend: kubernetes the targets run as pods (one per scenario node,
behind a Service), volumes are provisioned over port-forwards to their JSON-RPC, and
each workload runs in a worker Job; everything lives in a namespace of the run's
own, deleted at the end.

Exit codes: 0 every SLO passed, 1 an SLO failed, 2 the scenario could not run.`,
		Example: `  nvmf-chaos run baseline
  nvmf-chaos run ana-failover --out /tmp/results
  nvmf-chaos run my-scenario.yaml --seed 42
  nvmf-chaos run k8s-target-kill --kubeconfig ~/.cache/nvmf-chaos/k8s/cluster/kubeconfig
  nvmf-chaos run k8s-target-kill --dry-run | kubectl apply --dry-run=server -f -`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runScenario(cmd, args[0], &o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "nvmf-chaos-results", "folder that receives one sub-folder per run")
	f.Int64Var(&o.seed, "seed", 0, "seed for offsets (0: the scenario's, or a random one printed in the result)")
	f.DurationVar(&o.duration, "duration", 0, "scale the whole timeline (warmup, fault times, durations, repeats) to this measured duration")
	f.DurationVar(&o.warmup, "warmup", 0, "override timeline.warmup (after --duration scaling)")
	f.IntVar(&o.repeat, "repeat", 0, "run the scenario N times (seeds seed, seed+1, ...) and judge the SLOs on the distribution")
	f.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	f.StringVar(&o.spdkBin, "spdk-bin", "", "run SPDK's nvmf_tgt at this `path` on every node instead of the embedded target")
	f.StringVar(&o.nodes, "nodes", "auto", "how nodes run: netns (network namespaces, needs root), loopback, or auto (netns when possible)")
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig `file` of a backend: kubernetes run (default: the scenario's, $KUBECONFIG, ~/.kube/config)")
	f.StringVar(&o.kubeContext, "context", "", "kubeconfig `context` of a backend: kubernetes run (default: the scenario's, or the current one)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print a backend: kubernetes run's objects as YAML for kubectl apply -f -, and create nothing")
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
	mode, err := nodeMode(o.nodes)
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	if o.dryRun {
		if err := scenarios.NewRunner(s, scenarios.RunOptions{}).Manifests(cmd.OutOrStdout()); err != nil {
			return &exitError{code: exitCannotRun, err: err}
		}
		return nil
	}
	if s.Repeat > 1 || len(s.Sweep) > 0 {
		m, err := startBatchMetrics(&o.metrics, cmd.ErrOrStderr(), "run")
		if err != nil {
			return &exitError{code: exitCannotRun, err: err}
		}
		defer m.close()
		return runBatch(cmd, s, loaded.Source, o.out, batchOptions{quiet: o.quiet, mode: mode, metrics: m})
	}
	bin, err := os.Executable()
	if err != nil {
		return &exitError{code: exitCannotRun, err: fmt.Errorf("find own binary: %w", err)}
	}
	r := scenarios.NewRunner(s, scenarios.RunOptions{Binary: bin})
	// <scenario>-<local time>-<run id>: sorted by time, and the run id ties
	// the folder to everything the run named.
	dir := filepath.Join(o.out, fmt.Sprintf("%s-%s-%s", s.Metadata.Name, time.Now().Format("20060102-150405"), r.RunID()))
	lr := live.New(live.Info{Scenario: s.Metadata.Name, RunID: r.RunID(), Command: "run"})
	exp := prom.New(lr)
	finishMetrics, err := startMetrics(&o.metrics, exp, cmd.ErrOrStderr())
	if err != nil {
		return &exitError{code: exitCannotRun, err: err}
	}
	progress, stopProgress := startProgress(cmd.ErrOrStderr(), lr, o.quiet)
	r = scenarios.NewRunner(s, scenarios.RunOptions{Binary: bin, Progress: progress, RunID: r.RunID(), Dir: dir, Live: liveRun{lr}, Mode: mode,
		Source: loaded.Source, Kubeconfig: o.kubeconfig, KubeContext: o.kubeContext})
	res, runErr := r.Run(cmd.Context())
	stopProgress()
	exp.Finish(res)
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
// --duration scales the whole timeline; --warmup then overrides warmup.
func applyRunOverrides(s *scenarios.Scenario, source string, o *runOptions) error {
	if o.seed != 0 {
		s.Seed = o.seed
	}
	if o.spdkBin != "" {
		s.Cluster.Target, s.Cluster.SPDKBin = "spdk", o.spdkBin
	}
	if o.duration != 0 {
		if err := scenarios.Scale(s, o.duration, source); err != nil {
			return err
		}
	}
	if o.warmup != 0 {
		s.Timeline.Warmup = scenarios.Duration(o.warmup)
	}
	if o.repeat != 0 {
		s.Repeat = o.repeat
	}
	if o.duration != 0 || o.warmup != 0 || o.repeat != 0 || o.spdkBin != "" {
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
		if err := writeOutput(filepath.Join(dir, name), func(w io.Writer) error {
			return write(w, []*reports.Result{res})
		}); err != nil {
			return err
		}
	}
	return writeRunReport(dir, res)
}

// nodeMode parses --nodes.
func nodeMode(s string) (cluster.Mode, error) {
	switch s {
	case "auto", "":
		return cluster.ModeAuto, nil
	case "netns":
		return cluster.ModeNetns, nil
	case "loopback":
		return cluster.ModeLoopback, nil
	}
	return "", fmt.Errorf("--nodes %q: want auto, netns or loopback", s)
}
