package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
)

const staleScenario = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: stale}
cluster: {nodes: [tgt-a]}
volumes: [{name: vol0, size: 16MiB, nodes: [tgt-a]}]
workloads: [{name: w, volume: vol0, rw: randread, bs: 4k, iodepth: 2}]
timeline: {warmup: 100ms, duration: DURATION}
`

// TestRunSweepsWhatAKilledRunLeft: after kill -9 of a run, its
// namespaces, links and state stay behind; the next run finds them (their
// harness is gone), sweeps them, says what it removed, and runs.
func TestRunSweepsWhatAKilledRunLeft(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: network namespaces need root; run `sudo go test ./cmd/nvmf-chaos` to include this test")
	}
	dir := t.TempDir()
	write := func(name, duration string) string {
		p := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(p, []byte(strings.Replace(staleScenario, "DURATION", duration, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "run", write("long", "60s"), "--out", filepath.Join(dir, "out"), "--nodes", "netns")
	cmd.Env = append(os.Environ(), beMainEnv+"=1")
	cmd.WaitDelay = 5 * time.Second // its orphaned targets may hold the output open
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	nsRE := regexp.MustCompile(`netns (nvmfc-[0-9a-z]+)-tgt-a`)
	var m []string
	for m == nil {
		if ctx.Err() != nil {
			t.Fatalf("the run never started its node:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
		m = nsRE.FindStringSubmatch(out.String())
	}
	dead := m[1]
	t.Cleanup(func() { // whatever the sweep under test did not remove
		_, _ = cluster.Sweep(context.Background(), dead, cluster.WithLiveRuns(true))
	})
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if ns, _ := exec.Command("ip", "netns", "list").Output(); !strings.Contains(string(ns), dead) {
		t.Fatalf("kill -9 left no namespace of %s to sweep: %s", dead, ns)
	}

	// A subprocess too: its targets are this test binary, which only acts
	// as nvmf-chaos with beMainEnv set.
	next := exec.CommandContext(ctx, os.Args[0], "run", write("short", "1s"), "--out", filepath.Join(dir, "out"), "--nodes", "netns")
	next.Env = append(os.Environ(), beMainEnv+"=1")
	next.WaitDelay = 5 * time.Second
	b, err := next.CombinedOutput()
	got := string(b)
	if err != nil {
		t.Fatalf("the next run: %v\n%s", err, got)
	}
	for _, want := range []string{"netns " + dead + "-tgt-a", "link " + dead + "-br"} {
		if !regexp.MustCompile(`swept .*` + regexp.QuoteMeta(want)).MatchString(got) {
			t.Errorf("the next run did not say it swept %q:\n%s", want, got)
		}
	}
	if ns, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(ns), dead) {
		t.Errorf("namespaces of the killed run left: %s", ns)
	}
	if links, _ := exec.Command("ip", "-o", "link", "show").Output(); strings.Contains(string(links), dead) {
		t.Errorf("links of the killed run left: %s", links)
	}
	checkNoRunProcess(t, dead)
}
