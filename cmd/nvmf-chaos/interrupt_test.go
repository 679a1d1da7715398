package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
)

const partitionScenario = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: ctrl-c}
cluster: {nodes: [tgt-a, tgt-b]}
volumes: [{name: vol0, size: 16MiB, nodes: [tgt-a, tgt-b], ana: {tgt-b: non-optimized}}]
workloads: [{name: w, volume: vol0, rw: randrw, bs: 4k, iodepth: 4, verify: crc32c}]
host: {kato: 1s, reconnect_delay: 100ms}
timeline:
  warmup: 200ms
  duration: 60s
  faults: [{at: 500ms, kind: network-partition, node: tgt-a, duration: 50s}]
`

// TestRunInterruptedCleansUp sends SIGINT to a run while a partition is
// injected: the run must exit 2 and leave no namespace (nor the nftables
// table in it), target process or file of the cluster behind.
func TestRunInterruptedCleansUp(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: network partitions need root; run `sudo go test ./cmd/nvmf-chaos` to include this test")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("skipped: nftables' nft is not installed (apt-get install -y nftables)")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "ctrl-c.yaml")
	if err := os.WriteFile(scen, []byte(partitionScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "run", scen, "--out", filepath.Join(dir, "out"), "--nodes", "netns")
	cmd.Env = append(os.Environ(), beMainEnv+"=1")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(out.String(), "fault inject network-partition") {
		if ctx.Err() != nil {
			t.Fatalf("fault never injected:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitCannotRun {
		t.Fatalf("interrupted run: %v, want exit %d\n%s", err, exitCannotRun, out.String())
	}
	m := regexp.MustCompile(`netns (nvmfc-[0-9a-f]+)-tgt-a`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no namespace in the progress:\n%s", out.String())
	}
	if ns, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(ns), m[1]) {
		t.Errorf("namespaces left: %s", ns)
	}
	if links, _ := exec.Command("ip", "-o", "link", "show").Output(); strings.Contains(string(links), m[1]) {
		t.Errorf("links left: %s", links)
	}
	if !strings.Contains(out.String(), "fault recover network-partition") {
		t.Errorf("the partition was never recovered:\n%s", out.String())
	}
	checkNoRunProcess(t, m[1])
}

// checkNoRunProcess fails if any process carries the run's tag.
func checkNoRunProcess(t *testing.T, run string) {
	t.Helper()
	tag := []byte(cluster.RunEnv + "=" + run + "\x00")
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, e := range envs {
		if b, err := os.ReadFile(e); err == nil && bytes.Contains(b, tag) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(e)))
			if alivePID(pid) {
				t.Errorf("process %d of %s still running", pid, run)
			}
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a writing child and a polling test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
