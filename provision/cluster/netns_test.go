package cluster

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// leftovers lists namespaces and root-namespace links whose names start
// with name.
func leftovers(ctx context.Context, t *testing.T, name string) []string {
	t.Helper()
	var out []string
	nss, err := netns.Namespaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	links, err := netns.Links(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range append(nss, links...) {
		if strings.HasPrefix(n, name) {
			out = append(out, n)
		}
	}
	return out
}

func TestNetnsCluster(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCluster(t, Options{Nodes: []string{"tgt-a", "tgt-b"}, Mode: ModeNetns, RunID: testRunID(1)})
	if err := c.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx); err != nil {
		t.Fatalf("second Create: %v", err)
	}
	for _, want := range []string{c.Name() + "-tgt-a", c.Name() + "-tgt-b", c.Name() + "-br", c.Name() + "-0", c.Name() + "-1"} {
		if got := leftovers(ctx, t, want); len(got) == 0 {
			t.Errorf("%s not created", want)
		}
	}
	if err := c.StartTargets(ctx); err != nil {
		t.Fatal(err)
	}
	for _, n := range c.Nodes() {
		if !c.opts.Subnet.Contains(n.DataAddr) || n.DataAddr == c.HostAddr() {
			t.Fatalf("node %s address %v outside %v", n.Name, n.DataAddr, c.opts.Subnet)
		}
		if _, err := n.CheckRPC(ctx); err != nil {
			t.Fatal(err)
		}
		addListener(ctx, t, n) // waits for a TCP connect from the root namespace
		inNs, err := netns.NamespacePIDs(ctx, n.Netns)
		if err != nil || len(inNs) != 1 || inNs[0] != n.Process.PID() {
			t.Fatalf("node %s: pids in namespace %v (%v), target pid %d", n.Name, inNs, err, n.Process.PID())
		}
	}
	pids := []int{c.Nodes()[0].Process.PID(), c.Nodes()[1].Process.PID()}
	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if got := leftovers(ctx, t, c.Name()); len(got) > 0 {
		t.Errorf("left after Destroy: %v", got)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d alive after Destroy", pid)
		}
	}
}

// Destroy finishes the job after a Create that stopped half-way, and
// Create completes a half-made cluster.
func TestNetnsPartial(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCluster(t, Options{Nodes: []string{"n1", "n2"}, Mode: ModeNetns, RunID: testRunID(2)})
	// Half a cluster: the second node's namespace exists, nothing else.
	if err := netns.AddNamespace(ctx, c.Name()+"-n2"); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx); err != nil {
		t.Fatalf("Create over a half-made cluster: %v", err)
	}
	// And half of it gone again before Destroy.
	if err := netns.DeleteNamespace(ctx, c.Name()+"-n1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	if got := leftovers(ctx, t, c.Name()); len(got) > 0 {
		t.Errorf("left after Destroy: %v", got)
	}
}

// A second cluster on a subnet another one uses is refused before anything
// is made.
func TestNetnsSubnetInUse(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	first := newCluster(t, Options{Nodes: []string{"a"}, Mode: ModeNetns, RunID: testRunID(3)})
	if err := first.Create(ctx); err != nil {
		t.Fatal(err)
	}
	second := newCluster(t, Options{Nodes: []string{"a"}, Mode: ModeNetns, RunID: testRunID(4), Subnet: first.opts.Subnet})
	if err := second.Create(ctx); err == nil || !strings.Contains(err.Error(), "subnet already in use") {
		t.Fatalf("Create on a used subnet: %v", err)
	}
	if out, _ := exec.CommandContext(ctx, "ip", "netns", "list").Output(); strings.Contains(string(out), second.Name()) {
		t.Fatalf("refused Create still made a namespace:\n%s", out)
	}
}
