package cluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/provision/netns"
)

// leak starts a process the way a crashed harness leaves one: not
// supervised, carrying env. It is reaped at cleanup.
func leak(t *testing.T, env []string, argv ...string) int {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

func kinds(rs []Resource) map[Kind]int {
	m := map[Kind]int{}
	for _, r := range rs {
		m[r.Kind]++
	}
	return m
}

// A run whose harness still lives is left alone by default; with
// WithLiveRuns it is swept like a crashed one, along with a stray process
// found only by its environment.
func TestSweepProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCluster(t, Options{Nodes: []string{"a", "b"}, Mode: ModeLoopback, RunID: testRunID(5)})
	if err := c.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartTargets(ctx); err != nil {
		t.Fatal(err)
	}
	stray := leak(t, []string{RunEnv + "=" + c.Name() + "x"}, "sleep", "60")
	targets := []int{c.Nodes()[0].Process.PID(), c.Nodes()[1].Process.PID()}

	got, err := Sweep(ctx, c.Name(), WithStateDir(c.opts.StateDir))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != KindProcess || alive(stray) || !alive(targets[0]) || !alive(targets[1]) {
		t.Fatalf("sweep of a live run removed %v; stray alive %v, targets alive %v %v",
			got, alive(stray), alive(targets[0]), alive(targets[1]))
	}

	got, err = Sweep(ctx, c.Name(), WithStateDir(c.opts.StateDir), WithLiveRuns(true), WithDryRun(true))
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(got); k[KindProcess] != 2 || k[KindState] != 1 || !alive(targets[0]) {
		t.Fatalf("dry run: %v", got)
	}
	got, err = Sweep(ctx, c.Name(), WithStateDir(c.opts.StateDir), WithLiveRuns(true))
	if err != nil {
		t.Fatal(err)
	}
	if k := kinds(got); k[KindProcess] != 2 || k[KindState] != 1 {
		t.Fatalf("sweep: %v", got)
	}
	for _, pid := range targets {
		if alive(pid) {
			t.Errorf("target %d alive after sweep", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(c.RunDir(), stateFile)); !os.IsNotExist(err) {
		t.Errorf("state file after sweep: %v", err)
	}
	if got, err := Sweep(ctx, c.Name(), WithStateDir(c.opts.StateDir), WithLiveRuns(true)); err != nil || len(got) != 0 {
		t.Errorf("second sweep: %v, %v", got, err)
	}
}

func TestSweepRefusesEmptyPrefix(t *testing.T) {
	if _, err := Sweep(context.Background(), ""); err == nil {
		t.Fatal("empty prefix accepted")
	}
}

// Sweep removes a namespaced cluster a harness crashed out of, plus a
// leaked namespace with a process in it, a stray link and nftables tables.
func TestSweepNetns(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCluster(t, Options{Nodes: []string{"a", "b"}, Mode: ModeNetns, RunID: testRunID(6)})
	if err := c.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartTargets(ctx); err != nil {
		t.Fatal(err)
	}
	leakNs := c.Name() + "-leak"
	if err := netns.AddNamespace(ctx, leakNs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netns.DeleteNamespace(context.Background(), leakNs) })
	inNs := leak(t, nil, "ip", "netns", "exec", leakNs, "sleep", "60")
	if _, err := netns.IP(ctx, "link", "add", c.Name()+"-x", "type", "veth", "peer", "name", c.Name()+"-y"); err != nil {
		t.Fatal(err)
	}
	tables := []string{c.Name(), strings.ReplaceAll(c.Name(), "-", "_") + "_part"}
	if _, err := exec.LookPath("nft"); err == nil {
		for _, tb := range tables {
			if _, err := netns.Run(ctx, "nft", "add", "table", "inet", tb); err != nil {
				t.Fatal(err)
			}
		}
	}
	targets := []int{c.Nodes()[0].Process.PID(), c.Nodes()[1].Process.PID()}

	got, err := Sweep(ctx, c.Name(), WithStateDir(c.opts.StateDir), WithLiveRuns(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("swept:\n%v", got)
	k := kinds(got)
	if k[KindNamespace] != 3 || k[KindLink] < 2 || k[KindState] != 1 || k[KindProcess] != 3 {
		t.Errorf("swept %v", k)
	}
	if left := leftovers(ctx, t, c.Name()); len(left) > 0 {
		t.Errorf("left after sweep: %v", left)
	}
	for _, pid := range append(targets, inNs) {
		if alive(pid) {
			t.Errorf("pid %d alive after sweep", pid)
		}
	}
	if tbs, _ := nftTables(ctx); slices.ContainsFunc(tbs, func(s string) bool { return strings.Contains(s, c.Name()) }) {
		t.Errorf("nftables left: %v", tbs)
	}
}

// TestSweepStaleTakesOnlyDeadRuns: a new run sweeps the registered runs
// whose harness is gone, and nothing else: not a live run, not a live
// detached one, not an unregistered namespace that may be a run
// registered elsewhere.
func TestSweepStaleTakesOnlyDeadRuns(t *testing.T) {
	requireRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	registry := filepath.Join(shortDir(t), "registry")
	mk := func(n int, detached bool) *Cluster {
		c := newCluster(t, Options{Nodes: []string{"a"}, Mode: ModeNetns, RunID: testRunID(10 + n), StateDir: registry, Detached: detached})
		if err := c.Create(ctx); err != nil {
			t.Fatal(err)
		}
		return c
	}
	dead, live, detached := mk(0, false), mk(1, false), mk(2, true)
	// The harness of dead was killed: its state names a process gone.
	dead.state.Owner = ProcRef{PID: os.Getpid(), StartTime: 1}
	if err := writeState(registry, &dead.state); err != nil {
		t.Fatal(err)
	}
	stray := testRunID(13)
	strayNs := DefaultPrefix + "-" + stray + "-a"
	if err := netns.AddNamespace(ctx, strayNs); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netns.DeleteNamespace(context.Background(), strayNs) })

	next := newCluster(t, Options{Nodes: []string{"a"}, Mode: ModeNetns, RunID: testRunID(14), StateDir: registry})
	got, err := next.SweepStale(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("swept:\n%v", got)
	if k := kinds(got); k[KindNamespace] != 1 || k[KindLink] < 1 || k[KindState] != 1 {
		t.Errorf("swept %v, want the dead run's namespace, bridge and state", k)
	}
	if left := leftovers(ctx, t, dead.Name()); len(left) > 0 {
		t.Errorf("left of the dead run: %v", left)
	}
	for _, c := range []*Cluster{live, detached} {
		if left := leftovers(ctx, t, c.Name()); len(left) < 2 {
			t.Errorf("the sweep took the live run %s: %v left", c.Name(), left)
		}
	}
	if left := leftovers(ctx, t, strayNs); len(left) != 1 {
		t.Errorf("the sweep took the unregistered namespace %s", strayNs)
	}
}
