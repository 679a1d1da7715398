//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testcluster"
)

// spdkTargetScenario runs SPDK's nvmf_tgt as both target pods, one
// namespace over a shared backing file, and kills the optimized one.
const spdkTargetScenario = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: e2e-spdk-target}
cluster:
  backend: kubernetes
  target: spdk
  nodes: [tgt-a, tgt-b]
  kubernetes: {image_pull_policy: Never, spdk: {image: '%s', args: [-m, '0x1', --no-huge, -s, '1024', --disable-cpumask-locks]}}
volumes:
  - {name: vol0, size: 128MiB, nodes: [tgt-a, tgt-b], ana: {tgt-a: optimized, tgt-b: non-optimized}}
workloads:
  - {name: oltp, volume: vol0, rw: randrw, rwmixread: 70, bs: 4k, iodepth: 16, verify: crc32c, rate_iops: "1400,600"}
host: {kato: 1s, reconnect_delay: 100ms, ctrl_loss_tmo: 30s, fast_io_fail_tmo: 10s, io_timeout: 5s, policy: failover}
timeline:
  warmup: 3s
  duration: 20s
  faults:
    - {at: 6s, kind: process-kill, node: tgt-a, duration: 6s}
slos:
  - {metric: io_errors, max: "0"}
  - {metric: lost_writes, max: "0"}
  - {metric: corrupt_blocks, max: "0"}
`

// target: spdk on Kubernetes with SPDK's real nvmf_tgt: an image packed
// from the SPDK build beside the project (NVMF_CHAOS_SPDK_DIR, as make
// bench-spdk takes it; skipped without), imported into the test cluster's
// nodes. The run provisions through the RPC relay exactly as on embedded
// pods; a target pod killed mid-run fails over with no error and no lost
// write, comes back and is provisioned again, and nothing is left.
func TestSPDKTargetPods(t *testing.T) {
	f := features.New("target: spdk").Assess("nvmf_tgt pods, failover", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		dir := os.Getenv("NVMF_CHAOS_SPDK_DIR")
		tgt := filepath.Join(dir, "build", "bin", "nvmf_tgt")
		if _, err := os.Stat(tgt); dir == "" || err != nil {
			t.Skip("skipped: set NVMF_CHAOS_SPDK_DIR to an SPDK build (v24.01) to run SPDK's nvmf_tgt as target pods")
		}
		h := newHarness(t, cfg)
		work := t.TempDir()
		tar := filepath.Join(work, "spdk.tar")
		const tag = "nvmf-chaos/spdk-e2e:local"
		if out, err := exec.Command(h.bin, "image", "build", "--binary", tgt, "--with-libs", "--add", "/usr/lib/ssl/openssl.cnf", "--tag", tag, "-o", tar).CombinedOutput(); err != nil {
			t.Fatalf("packing nvmf_tgt: %v\n%s", err, out)
		}
		if err := testcluster.NewLayout(testcluster.DefaultCache()).LoadImage(ctx, tar); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(work, "spdk.yaml")
		if err := os.WriteFile(file, []byte(fmt.Sprintf(spdkTargetScenario, tag)), 0o644); err != nil {
			t.Fatal(err)
		}
		code, text := h.run("run", file, "--out", work)
		t.Log(text)
		if code != 0 {
			t.Fatalf("nvmf-chaos run exited %d", code)
		}
		results, _ := filepath.Glob(filepath.Join(work, "e2e-spdk-target-*", "results.json"))
		if len(results) != 1 {
			t.Fatalf("results.json: %v", results)
		}
		if res := readResult(t, results[0]); res.Environment.Target.Kind != "spdk" || res.Environment.Target.Backend != "kubernetes" {
			t.Errorf("target %+v: want spdk on kubernetes", res.Environment.Target)
		}
		h.checkNothingLeft(ctx, "")
		return ctx
	}).Feature()
	testenv.Test(t, f)
}
