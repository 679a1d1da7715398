package scenarios

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// nvmfChaosBinary builds the CLI once per test binary: the runner starts
// targets as real processes.
func nvmfChaosBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "nvmf-chaos-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "nvmf-chaos")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/nvmf-chaos/nvmf-chaos/cmd/nvmf-chaos").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build nvmf-chaos: %v", buildErr)
	}
	return binPath
}

func runScenarioYAML(t *testing.T, doc string) (*reports.Result, func() bool, error) {
	t.Helper()
	s, err := ParseScenario("test.yaml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRunner(s, RunOptions{Binary: nvmfChaosBinary(t), Dir: t.TempDir()})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.Run(ctx)
	if res == nil {
		t.Fatal("Run returned no result")
	}
	t.Cleanup(func() {
		for _, n := range r.nodes {
			if pid := n.proc.PID(); pid != 0 && syscall.Kill(pid, 0) == nil {
				t.Errorf("node %s: target pid %d still running after the run", n.name, pid)
			}
		}
	})
	pass := func() bool { return res.Evaluation != nil && res.Evaluation.Pass }
	if res.RunError != "" && err == nil {
		t.Fatalf("RunError %q without an error", res.RunError)
	}
	return res, pass, err
}

const baselineDoc = `
apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t-baseline}
cluster: {nodes: [tgt-a]}
volumes: [{name: vol0, size: 64MiB, nodes: [tgt-a]}]
workloads: [{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8, verify: crc32c}]
timeline: {warmup: 300ms, duration: 2s}
slos:
  - {metric: io_errors, max: "0"}
  - {metric: lost_writes, max: "0"}
  - {metric: iops, window: all, min: "100"}
`

func TestRunBaselinePasses(t *testing.T) {
	_, pass, err := runScenarioYAML(t, baselineDoc)
	if err != nil {
		t.Fatal(err)
	}
	if !pass() {
		t.Fatal("a fault-free run on a healthy target failed its SLOs")
	}
}

// TestRunTargetKillFailsTheRun: killing the only target of a single-path
// volume must show as I/O errors and fail the verdict, with the fault
// injected and recovered cleanly on the run clock.
func TestRunTargetKillFailsTheRun(t *testing.T) {
	doc := `
apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t-kill}
cluster: {nodes: [tgt-a]}
volumes: [{name: vol0, size: 16MiB, nodes: [tgt-a]}]
workloads: [{name: w, volume: vol0, rw: randwrite, bs: 4k, iodepth: 4, verify: crc32c, do_verify: "1"}]
host: {kato: 500ms, io_timeout: 1s}
timeline:
  warmup: 300ms
  duration: 3s
  faults: [{at: 1s, kind: process-kill, node: tgt-a, duration: 500ms}]
slos:
  - {metric: io_errors, max: "0"}
`
	res, pass, err := runScenarioYAML(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if pass() {
		t.Fatal("a run that killed its only target passed its SLOs")
	}
	for _, v := range res.Evaluation.Verdicts {
		t.Logf("%s: measured %s, pass %v", v.Name(), v.Display, v.Pass)
		if v.Pass {
			t.Errorf("%s passed although the only target died", v.Name())
		}
	}
	if len(res.Faults) != 2 || res.Faults[0].Err != "" || res.Faults[1].Err != "" {
		t.Errorf("fault events %+v, want a clean inject and recover", res.Faults)
	}
}
