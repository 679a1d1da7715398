package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

const pauseRepeatDoc = `
apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t-repeat}
seed: 100
repeat: 2
cluster: {nodes: [tgt-a]}
volumes: [{name: vol0, size: 32MiB, nodes: [tgt-a]}]
workloads: [{name: w, volume: vol0, rw: randread, bs: 4k, iodepth: 8}]
host: {kato: 5s, io_timeout: 10s}
timeline:
  warmup: 500ms
  duration: 2500ms
  # 800 ms: well over the stall threshold (10 x baseline p99) even when a
  # loaded machine makes that p99 tens of milliseconds.
  faults: [{at: 1s, kind: process-pause, node: tgt-a, duration: 800ms}]
slos:
  - {metric: io_errors, max: "0"}
  - {metric: failover_time, max: 1s, of: median}
  - {metric: failover_time, max: 100ms}
`

// TestBatchRepeat runs a scenario twice on real target processes: seeds
// 100 and 101, one folder and results.json each, and SLOs judged on both
// runs' samples with their of:.
func TestBatchRepeat(t *testing.T) {
	s, err := ParseScenario("t.yaml", []byte(pauseRepeatDoc))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBatch(s, "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	save := func(d string, res *reports.Result) error {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		return res.WriteFile(filepath.Join(d, "results.json"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	results, err := b.Execute(ctx, ExecOptions{Binary: testbin.Path(t), Dir: dir, Save: save})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || len(results[0]) != 2 {
		t.Fatalf("results %v, want one cell of two runs", results)
	}
	for i, name := range []string{"run-01", "run-02"} {
		r, err := reports.ReadFile(filepath.Join(dir, name, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		if r.Scenario.Seed != 100+int64(i) || r.RunError != "" {
			t.Errorf("%s: seed %d, error %q", name, r.Scenario.Seed, r.RunError)
		}
	}
	a := b.Aggregate(results)[0]
	if a.Status() == "ERROR" || a.Runs != 2 {
		t.Fatalf("aggregate %s, errors %v", a.Status(), a.Errors)
	}
	f, ok := a.Spread("failover_time")
	t.Logf("failover_time over 2 runs: %+v", f.Display)
	if !ok || f.N != 2 || f.Min < 750e6 || f.Max > 950e6 {
		t.Errorf("failover_time spread %+v, want two values near the 800ms pause", f)
	}
	v := a.Evaluation.Verdicts
	if !v[0].Pass || !v[1].Pass || v[2].Pass || v[1].Samples == nil || v[1].Samples.N != 2 {
		t.Errorf("verdicts %+v: want io_errors and median failover pass, worst failover under 100ms fail", v)
	}
}

// TestBatchInterrupted: a cancelled batch runs nothing and passes nothing.
func TestBatchInterrupted(t *testing.T) {
	s, err := ParseScenario("t.yaml", []byte(pauseRepeatDoc))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBatch(s, "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	results, err := b.Execute(ctx, ExecOptions{Binary: "/nonexistent", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if a := b.Aggregate(results)[0]; a.Status() != "ERROR" || len(a.Errors) != 2 {
		t.Errorf("interrupted batch: %s %v", a.Status(), a.Errors)
	}
}

func TestBatchPlan(t *testing.T) {
	s, err := ParseScenario("t.yaml", []byte(minimal+"repeat: 2\nseed: 7\nsweep:\n  - {param: host.kato, values: [500ms, 1s]}\n  - {param: 'faults[0].duration', values: [1s, 2s]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBatch(s, "t.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runs, err := b.Runs()
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 8 || b.Single() {
		t.Fatalf("%d runs, want 2 cells × 2 × 2 repeats", len(runs))
	}
	last := runs[7]
	if last.Dir != "cell-04_host.kato=1s_faults-0-.duration=2s/run-02" || last.Scenario.Seed != 8 || last.Scenario.Repeat != 0 {
		t.Errorf("last run: dir %q seed %d repeat %d", last.Dir, last.Scenario.Seed, last.Scenario.Repeat)
	}
	if last.Scenario.Host.KATO.D() != time.Second || last.Scenario.Timeline.Faults[0].Duration.D() != 2*time.Second {
		t.Errorf("last run's scenario lacks its cell's values: %+v", last.Scenario.Host)
	}
	one, _ := NewBatch(mustBuiltin(t, "baseline"), "builtin:baseline")
	if !one.Single() || one.runDir(0, 0) != "" {
		t.Error("a plain scenario is not a single run in its own folder")
	}
}
