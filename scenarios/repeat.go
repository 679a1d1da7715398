package scenarios

import (
	"context"
	"fmt"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"io"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// Batch is a scenario's repeated and swept runs: every sweep cell run
// Repeat times. Repeat i of every cell uses seed Seed+i, so cells differ
// only in their swept values, and a repeat is reproducible alone with
// `run --seed`.
type Batch struct {
	Name   string
	Source string
	// Axes are the swept params in file order (none without a sweep).
	Axes   []string
	Cells  []Cell
	Repeat int
	Seed   int64
	SLOs   []reports.SLO
}

// PlannedRun is one run of a batch.
type PlannedRun struct {
	Cell      int
	Iteration int
	// Scenario is the cell's scenario with this run's seed and no repeat.
	Scenario *Scenario
	// Dir is the run's folder relative to the batch folder; "" for a
	// batch of one run, which writes into the batch folder itself.
	Dir string
}

// NewBatch plans s's runs: its sweep expanded and validated, its repeat
// count (at least 1), and a seed picked when s has none.
func NewBatch(s *Scenario, source string) (*Batch, error) {
	cells, err := Expand(s, source)
	if err != nil {
		return nil, err
	}
	b := &Batch{Name: s.Metadata.Name, Source: source, Cells: cells, Repeat: max(s.Repeat, 1), Seed: s.Seed}
	if b.Seed == 0 {
		b.Seed = rand.Int64N(1 << 40)
	}
	for _, ax := range s.Sweep {
		b.Axes = append(b.Axes, ax.Param)
	}
	for _, o := range s.SLOs {
		b.SLOs = append(b.SLOs, reports.SLO(o))
	}
	return b, nil
}

// Single says the batch is one run: no sweep and no repeat.
func (b *Batch) Single() bool { return len(b.Axes) == 0 && b.Repeat == 1 }

// Runs lists the batch's runs, cell by cell, each with its own copy of
// the scenario.
func (b *Batch) Runs() ([]PlannedRun, error) {
	var out []PlannedRun
	for ci, c := range b.Cells {
		for i := range b.Repeat {
			s, err := Clone(c.Scenario)
			if err != nil {
				return nil, err
			}
			s.Seed, s.Repeat = b.Seed+int64(i), 0
			out = append(out, PlannedRun{Cell: ci, Iteration: i, Scenario: s, Dir: b.runDir(ci, i)})
		}
	}
	return out, nil
}

var unsafeDirChars = regexp.MustCompile(`[^A-Za-z0-9._=-]+`)

// runDir names a run's folder after its cell's values, so a listing
// reads like the sweep table.
func (b *Batch) runDir(cell, iter int) string {
	if b.Single() {
		return ""
	}
	run := fmt.Sprintf("run-%02d", iter+1)
	if len(b.Axes) == 0 {
		return run
	}
	parts := []string{fmt.Sprintf("cell-%02d", cell+1)}
	for _, ax := range b.Axes {
		parts = append(parts, ax+"="+b.Cells[cell].Params[ax])
	}
	return filepath.Join(unsafeDirChars.ReplaceAllString(strings.Join(parts, "_"), "-"), run)
}

// ExecOptions say how a batch runs.
type ExecOptions struct {
	// Binary is the nvmf-chaos executable (RunOptions.Binary).
	Binary string
	// Dir is the batch folder; each run writes into its PlannedRun.Dir.
	Dir string
	// Progress receives the runners' progress lines; nil is silent.
	Progress io.Writer
	// Mode is the local cluster's node mode (RunOptions.Mode).
	Mode cluster.Mode
	// Observe, when set, is called before each run with its scenario name
	// and run ID; the Live it returns watches the run, and done is called
	// with the run's result once it has ended.
	Observe func(scenario, runID string) (l Live, done func(*reports.Result))
	// Save writes a finished run's outputs into its folder. An error makes
	// the run an error (its evidence is incomplete).
	Save func(dir string, res *reports.Result) error
}

// Execute runs the batch's runs in order, each provisioned and torn down
// by its own Runner, and returns the results per cell. When ctx ends, the
// current run is stopped and torn down by its Runner and later runs are
// not started: they are returned as results that did not run, so an
// interrupted batch never passes.
func (b *Batch) Execute(ctx context.Context, opts ExecOptions) ([][]*reports.Result, error) {
	runs, err := b.Runs()
	if err != nil {
		return nil, err
	}
	out := make([][]*reports.Result, len(b.Cells))
	for _, pr := range runs {
		res := b.runOne(ctx, pr, opts)
		res.Scenario.Params = b.Cells[pr.Cell].Params
		if len(res.Scenario.Params) == 0 {
			res.Scenario.Params = nil
		}
		if opts.Save != nil {
			if err := opts.Save(filepath.Join(opts.Dir, pr.Dir), res); err != nil && res.RunError == "" {
				res.RunError = fmt.Sprintf("saving outputs: %v", err)
			}
		}
		out[pr.Cell] = append(out[pr.Cell], res)
	}
	return out, nil
}

func (b *Batch) runOne(ctx context.Context, pr PlannedRun, opts ExecOptions) *reports.Result {
	if err := ctx.Err(); err != nil {
		return &reports.Result{SchemaVersion: reports.SchemaVersion, RunError: "not run: interrupted",
			Scenario: reports.ScenarioInfo{Name: pr.Scenario.Metadata.Name, Seed: pr.Scenario.Seed}}
	}
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "=== %s %s (seed %d)\n", b.Name, b.describe(pr), pr.Scenario.Seed)
	}
	ro := RunOptions{Binary: opts.Binary, Dir: filepath.Join(opts.Dir, pr.Dir), Progress: opts.Progress, Mode: opts.Mode,
		RunID: cluster.NewRunID(), Source: b.Source}
	done := func(*reports.Result) {}
	if opts.Observe != nil {
		ro.Live, done = opts.Observe(pr.Scenario.Metadata.Name, ro.RunID)
	}
	r := NewRunner(pr.Scenario, ro)
	res, err := r.Run(ctx)
	defer func() { done(res) }()
	if res == nil {
		res = &reports.Result{SchemaVersion: reports.SchemaVersion, Scenario: reports.ScenarioInfo{Name: pr.Scenario.Metadata.Name, Seed: pr.Scenario.Seed}}
	}
	if err != nil && res.RunError == "" {
		res.RunError = err.Error()
	}
	return res
}

func (b *Batch) describe(pr PlannedRun) string {
	s := fmt.Sprintf("run %d/%d", pr.Iteration+1, b.Repeat)
	if len(b.Axes) > 0 {
		s = fmt.Sprintf("cell %d/%d %s, %s", pr.Cell+1, len(b.Cells), formatParams(b.Axes, b.Cells[pr.Cell].Params), s)
	}
	return s
}

// Aggregate judges each cell's runs (see reports.AggregateRuns).
func (b *Batch) Aggregate(results [][]*reports.Result) []*reports.Aggregate {
	out := make([]*reports.Aggregate, len(b.Cells))
	for i := range b.Cells {
		var runs []*reports.Result
		if i < len(results) {
			runs = results[i]
		}
		a := reports.AggregateRuns(runs, b.SLOs)
		a.Name = b.Name
		if len(b.Cells[i].Params) > 0 {
			a.Params = b.Cells[i].Params
		}
		out[i] = a
	}
	return out
}
