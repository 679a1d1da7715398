package cluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// spdkBin is SPDK's nvmf_tgt: $NVMF_CHAOS_SPDK_BIN, or the local build.
func spdkBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("NVMF_CHAOS_SPDK_BIN")
	if bin == "" {
		bin = "/work/spdk/build/bin/nvmf_tgt"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("skipped: no SPDK nvmf_tgt (%v); set NVMF_CHAOS_SPDK_BIN to run it", err)
	}
	return bin
}

// The same cluster runs real SPDK: started in its namespace, healthy over
// RPC, reachable over TCP once provisioned, gone after Destroy.
func TestSPDKTargetInNamespace(t *testing.T) {
	requireRoot(t)
	bin := spdkBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := newCluster(t, Options{Nodes: []string{"spdk"}, Mode: ModeNetns, RunID: testRunID(8), Target: TargetSPDK, Binary: bin})
	if err := c.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartTargets(ctx); err != nil {
		t.Fatal(err)
	}
	n := c.Nodes()[0]
	v, err := n.CheckRPC(ctx)
	if err != nil || !strings.HasPrefix(v, "SPDK v") {
		t.Fatalf("version %q, %v", v, err)
	}
	addListener(ctx, t, n)
	pid := n.Process.PID()
	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Process.ExitErr(); err != nil {
		t.Errorf("nvmf_tgt did not exit cleanly on SIGTERM: %v", err)
	}
	if alive(pid) {
		t.Errorf("nvmf_tgt %d alive after Destroy", pid)
	}
	if _, err := os.Stat(filepath.Join(dpdkRunDir, fmt.Sprintf("spdk_pid%d", pid))); !os.IsNotExist(err) {
		t.Errorf("DPDK runtime directory of %d left: %v", pid, err)
	}
	if left := leftovers(ctx, t, c.Name()); len(left) > 0 {
		t.Errorf("left after Destroy: %v", left)
	}
}
