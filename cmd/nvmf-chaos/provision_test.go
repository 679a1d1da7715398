package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/scenarios"
)

const twoNodeShared = `apiVersion: nvmf-chaos/v1
kind: Scenario
metadata: {name: two-node}
cluster: {nodes: [tgt-a, tgt-b]}
volumes: [{name: vol0, size: 16MiB, nodes: [tgt-a, tgt-b]}]
workloads: [{name: w, volume: vol0, rw: randwrite}]
timeline: {duration: 1s}
`

// TestProvisionDetachedNetns is issue #3's end to end: as root, a two-node
// namespace cluster comes up with a volume provisioned over JSON-RPC on
// both nodes; data written through one node is read through the other;
// cleanup leaves no namespace, process or file behind.
func TestProvisionDetachedNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: network namespaces need root; run `sudo go test ./cmd/nvmf-chaos` to include this test")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: iproute2's ip is not installed (apt-get install -y iproute2)")
	}
	dir := t.TempDir()
	scen := filepath.Join(dir, "two-node.yaml")
	if err := os.WriteFile(scen, []byte(twoNodeShared), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	stdout, err := nvmfChaos(t, "provision", "--scenario", scen, "--detach", "--json", "--nodes", "netns", "--out", out)
	if err != nil {
		t.Fatalf("provision --detach: %v\n%s", err, stdout)
	}
	var acc scenarios.Access
	if err := json.Unmarshal([]byte(stdout[:strings.LastIndex(stdout, "}")+1]), &acc); err != nil {
		t.Fatalf("access JSON: %v\n%s", err, stdout)
	}
	prefix := cluster.DefaultPrefix + "-" + acc.RunID
	t.Cleanup(func() { _, _ = nvmfChaos(t, "cleanup", "--prefix", prefix) })
	if acc.Nodes != "netns" || len(acc.Node) != 2 || len(acc.Volumes) != 1 {
		t.Fatalf("access: %+v", acc)
	}
	for _, n := range acc.Node {
		if n.Netns == "" || !strings.HasPrefix(n.RPC, "tcp://198.1") {
			t.Errorf("node %s: netns %q rpc %q, want a namespace managed over its own network", n.Name, n.Netns, n.RPC)
		}
	}

	block := bytes.Repeat([]byte("nvmf-chaos shared"), 4096/17+1)[:4096]
	writeVia(t, acc.Node[0].Data, acc.Volumes[0].NQN, block)
	if got := readVia(t, acc.Node[1].Data, acc.Volumes[0].NQN); !bytes.Equal(got, block) {
		t.Fatalf("read through %s returned %q..., want what was written through %s", acc.Node[1].Name, got[:32], acc.Node[0].Name)
	}

	if stdout, err := nvmfChaos(t, "cleanup", "--prefix", prefix); err != nil {
		t.Fatalf("cleanup: %v\n%s", err, stdout)
	}
	if ns, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(ns), prefix) {
		t.Errorf("namespaces left: %s", ns)
	}
	for _, n := range acc.Node {
		if n.PID != 0 && alivePID(n.PID) {
			t.Errorf("node %s target pid %d still running", n.Name, n.PID)
		}
	}
	if _, err := os.Stat(acc.Dir); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(acc.Dir)
		t.Errorf("run folder %s left behind (%v): %v", acc.Dir, err, entries)
	}
}

// nvmfChaos runs the test binary as nvmf-chaos (see TestMain).
func nvmfChaos(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), beMainEnv+"=1")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

func dialNS(t *testing.T, addr, nqn string) *nvmetcp.Controller {
	t.Helper()
	c, err := nvmetcp.Dial(t.Context(), nvmetcp.Config{Addr: addr, SubsysNQN: nqn})
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	return c
}

func writeVia(t *testing.T, addr, nqn string, block []byte) {
	t.Helper()
	c := dialNS(t, addr, nqn)
	defer c.Close()
	if err := c.WriteAt(t.Context(), 1, block, 8); err != nil {
		t.Fatalf("write through %s: %v", addr, err)
	}
}

func readVia(t *testing.T, addr, nqn string) []byte {
	t.Helper()
	c := dialNS(t, addr, nqn)
	defer c.Close()
	buf := make([]byte, 4096)
	if err := c.ReadAt(t.Context(), 1, buf, 8); err != nil {
		t.Fatalf("read through %s: %v", addr, err)
	}
	return buf
}

func alivePID(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// A zombie has exited; only its parent has not reaped it yet.
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
