package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// unsharedFailover is a deliberately broken dual-controller setup: each
// node keeps its own copy of the volume, so when the optimized node dies
// the host fails over to a controller that never saw its writes, and reads
// there return superseded data. The node stays down to the end, so the
// final verification reads the wrong copy too.
const unsharedFailover = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: broken-unshared}
cluster: {nodes: [tgt-a, tgt-b]}
volumes: [{name: vol0, size: 64MiB, nodes: [tgt-a, tgt-b], shared: false, ana: {tgt-b: non-optimized}}]
workloads: [{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 8, verify: crc32c}]
host: {kato: 1s, reconnect_delay: 100ms}
timeline:
  warmup: 300ms
  duration: 3s
  faults: [{at: 1s, kind: process-kill, node: tgt-a, duration: 1900ms}]
slos:
  - {metric: lost_writes, max: "0"}
  - {metric: stale_reads, max: "0"}
`

// TestRunBrokenConfigExitsOne runs the broken setup through the CLI: the
// run itself works, the verification finds the lost writes, and the exit
// code is 1 (SLO failed), not 0 or 2.
func TestRunBrokenConfigExitsOne(t *testing.T) {
	dir := t.TempDir()
	scen := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(scen, []byte(unsharedFailover), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := nvmfChaos(t, "run", scen, "--nodes", "loopback", "--out", filepath.Join(dir, "out"), "--quiet")
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitSLOFailed {
		t.Fatalf("run: %v, want exit %d\n%s", err, exitSLOFailed, out)
	}
	if !strings.Contains(out, "stale_reads") {
		t.Errorf("summary does not name the failed SLO:\n%s", out)
	}
}
