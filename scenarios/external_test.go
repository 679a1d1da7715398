package scenarios

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// startExternalTarget runs `nvmf-chaos target` with only an RPC socket, as
// an operator would run a target the harness does not own, and returns its
// RPC socket path.
func startExternalTarget(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "rpc.sock")
	cmd := exec.Command(testbin.Path(t), "target", "--rpc-socket", sock)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "rpc listening") {
		t.Fatalf("external target did not start: %q, %v", line, err)
	}
	return sock
}

// TestRunLatencyOnExternalTarget runs a latency fault against a target the
// harness did not start: the proxy goes in the host's path all the same,
// and the run removes everything it provisioned from the target.
func TestRunLatencyOnExternalTarget(t *testing.T) {
	sock := startExternalTarget(t)
	doc := fmt.Sprintf(`
apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: t-external}
cluster: {target: external, nodes: [ext], rpc: {ext: %q}, listen: {ext: %q}}
volumes: [{name: vol0, size: 16MiB, nodes: [ext]}]
workloads: [{name: w, volume: vol0, rw: randread, bs: 4k, iodepth: 4}]
timeline:
  warmup: 300ms
  duration: 3s
  faults: [{at: 1s, kind: latency, node: ext, duration: 1s, params: {delay: 20ms}}]
slos:
  - {metric: io_errors, max: "0"}
`, sock, targettest.FreeAddr(t))
	res, pass, err := runScenarioYAML(t, doc)
	if err != nil {
		t.Fatal(err)
	}
	if !pass() {
		t.Fatal("latency fault on an external target caused I/O errors")
	}
	for _, w := range res.Metrics.Overall.Windows {
		if w.Window == reports.WindowFault && w.Latency.MaxNs < int64(40*time.Millisecond) {
			t.Errorf("fault max latency %v: want at least the 20 ms delay each way", time.Duration(w.Latency.MaxNs))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := rpc.Dial(ctx, sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	subs, err := c.NvmfGetSubsystems(ctx, rpc.NvmfGetSubsystemsParams{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if s.NQN != "nqn.2014-08.org.nvmexpress.discovery" {
			t.Errorf("subsystem %s left on the external target", s.NQN)
		}
	}
}
