//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/e2e-framework/pkg/envconf"
	"sigs.k8s.io/e2e-framework/pkg/features"

	"github.com/nvmf-chaos/nvmf-chaos/internal/testcluster"
)

// externalScenario runs worker pods against a target outside the
// cluster, with an RPC fault on it.
const externalScenario = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: k8s-external, description: "worker pods against a target outside the cluster"}
cluster:
  backend: kubernetes
  target: external
  nodes: [tgt-a]
  rpc: {tgt-a: "%[1]s:%[2]d"}
  listen: {tgt-a: "%[1]s:%[3]d"}
volumes:
  - {name: vol0, size: 64MiB, nodes: [tgt-a]}
workloads:
  - {name: oltp, volume: vol0, rw: randrw, rwmixread: 70, bs: 4k, iodepth: 8, verify: crc32c, rate_iops: "2000,1000"}
timeline:
  warmup: 2s
  duration: 10s
  faults:
    - {at: 4s, kind: bdev-delay, node: tgt-a, duration: 3s, params: {latency: 5ms}}
slos:
  - {metric: io_errors, max: "0"}
  - {metric: lost_writes, max: "0"}
`

// A target outside the cluster (an nvmf-chaos target on this machine,
// where the test cluster's pods reach it) is provisioned over its RPC,
// worker pods drive it, an RPC fault acts on it, and the run leaves no
// subsystem on it.
func TestExternalTargetFromPods(t *testing.T) {
	f := features.New("external target").Assess("worker pods drive it and an RPC fault acts on it", func(ctx context.Context, t *testing.T, cfg *envconf.Config) context.Context {
		h := newHarness(t, cfg)
		host := testcluster.HostIP().String()
		rpcPort, dataPort := freePort(t, host), freePort(t, host)
		tgt := exec.Command(h.bin, "target", "--rpc-socket", fmt.Sprintf("%s:%d", host, rpcPort), "--log-level", "warn")
		stdout, err := tgt.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := tgt.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tgt.Process.Kill(); _ = tgt.Wait() }()
		waitLine(t, stdout, "rpc listening")
		file := filepath.Join(t.TempDir(), "external.yaml")
		if err := os.WriteFile(file, []byte(fmt.Sprintf(externalScenario, host, rpcPort, dataPort)), 0o644); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		code, text := h.run("run", file, "--out", out, "--quiet")
		t.Log(text)
		if code != 0 {
			t.Fatalf("external-target run exited %d", code)
		}
		results, _ := filepath.Glob(filepath.Join(out, "*", "results.json"))
		if len(results) != 1 {
			t.Fatalf("results.json: %v", results)
		}
		res := readResult(t, results[0])
		if len(res.Faults) != 2 || res.Faults[0].Err != "" || res.Faults[1].Err != "" {
			t.Errorf("fault events %+v: want bdev-delay injected and recovered", res.Faults)
		}
		if conn, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", host, dataPort), time.Second); err == nil {
			conn.Close()
			t.Errorf("the run's listener %s:%d is still there after teardown", host, dataPort)
		}
		h.checkNothingLeft(ctx, res.runID())
		return ctx
	}).Feature()
	testenv.Test(t, f)
}

func freePort(t *testing.T, host string) int {
	t.Helper()
	l, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Skipf("cannot listen on the test cluster's host address %s: %v", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitLine waits, at most 10 s, for a line holding want, then keeps
// draining the output so the process never blocks on it.
func waitLine(t *testing.T, r io.Reader, want string) {
	t.Helper()
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		seen := false
		for sc.Scan() {
			if !seen && strings.Contains(sc.Text(), want) {
				seen = true
				close(found)
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(10 * time.Second):
		t.Fatalf("the target never said %q", want)
	}
}
