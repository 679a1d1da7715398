package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/provision/supervisor"
)

// waitUntil fails the test unless cond holds within d.
func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := poll.Until(context.Background(), what, poll.Holds(cond), poll.Every(20*time.Millisecond), poll.Within(d)); err != nil {
		t.Fatal(err)
	}
}

func procState(pid int) byte {
	st, err := supervisor.ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.State
}

func TestLoopbackTargets(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCluster(t, Options{Nodes: []string{"tgt-a", "tgt-b"}, Mode: ModeLoopback, RunID: testRunID(0)})
	if err := c.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartTargets(ctx); err != nil {
		t.Fatal(err)
	}
	a, b := c.Nodes()[0], c.Nodes()[1]
	if a.Netns != "" || a.DataAddr.String() != "127.0.0.1" || a.DataPort == 0 || a.DataPort == b.DataPort {
		t.Fatalf("loopback layout: a %+v b %+v", a, b)
	}
	for _, n := range c.Nodes() {
		v, err := n.CheckRPC(ctx)
		if err != nil || v == "" {
			t.Fatalf("node %s: version %q, %v", n.Name, v, err)
		}
		addListener(ctx, t, n)
		if err := n.CheckListener(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pids := []int{a.Process.PID(), b.Process.PID()}
	checkStatePIDs(t, c, pids)
	if err := c.StartTarget(ctx, "tgt-a"); !errors.Is(err, supervisor.ErrRunning) {
		t.Fatalf("starting a running target: %v, want ErrRunning", err)
	}
	if _, err := a.CheckRPC(ctx); err != nil {
		t.Fatalf("refused second start broke the running target: %v", err)
	}

	t.Run("kill and restart", func(t *testing.T) { killAndRestart(ctx, t, c, a) })
	t.Run("pause and continue", func(t *testing.T) { pauseAndContinue(ctx, t, b) })

	log, err := os.ReadFile(filepath.Join(c.LogDir(), "tgt-a-target.log"))
	if err != nil || strings.Count(string(log), "rpc listening on") != 2 {
		t.Fatalf("tgt-a log (want two starts):\n%s (%v)", log, err)
	}

	pids = append(pids, a.Process.PID())
	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still alive after Destroy", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(c.RunDir(), stateFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("state file after Destroy: %v", err)
	}
	if err := c.Destroy(ctx); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
}

func killAndRestart(ctx context.Context, t *testing.T, c *Cluster, n *Node) {
	old := n.Process.PID()
	exited := n.Process.Exited()
	if err := n.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("Exited not reported after Kill")
	}
	if err := n.Process.ExitErr(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("exit after SIGKILL: %v", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := n.WaitRPC(short); !errors.Is(err, ErrExited) || !strings.Contains(err.Error(), "waiting for node "+n.Name+"'s target to answer RPC") {
		t.Fatalf("WaitRPC on a dead target: %v, want ErrExited naming what it waited for", err)
	}
	if err := c.StartTarget(ctx, n.Name); err != nil {
		t.Fatal(err)
	}
	if n.Process.PID() == old {
		t.Fatal("same pid after restart")
	}
	addListener(ctx, t, n) // the embedded target forgets its subsystems, as SPDK does
	checkStatePIDs(t, c, []int{n.Process.PID()})
}

func pauseAndContinue(ctx context.Context, t *testing.T, n *Node) {
	pid := n.Process.PID()
	if err := n.Process.Stop(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "state T", func() bool { return procState(pid) == 'T' })
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := n.CheckRPC(short); err == nil {
		t.Fatal("stopped target answered RPC")
	}
	if err := n.Process.Cont(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "leaving state T", func() bool { return procState(pid) != 'T' })
	if _, err := n.CheckRPC(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.CheckListener(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkStatePIDs proves the state file records the running targets.
func checkStatePIDs(t *testing.T, c *Cluster, pids []int) {
	t.Helper()
	st, err := readState(filepath.Join(c.opts.StateDir, c.Name()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[int]bool{}
	for _, r := range st.Processes {
		recorded[r.PID] = r.Alive()
	}
	for _, pid := range pids {
		if !recorded[pid] {
			t.Errorf("pid %d not recorded as alive in %+v", pid, st.Processes)
		}
	}
}

// With a restart policy a target that crashes on its own comes back, is
// recorded for cleanup, and answers RPC again; Destroy stops the cycle.
func TestLoopbackRestartOnCrash(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c := newCluster(t, Options{Nodes: []string{"a"}, Mode: ModeLoopback, RunID: testRunID(9),
		Restart: supervisor.RestartOnFailure})
	if err := c.Create(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.StartTargets(ctx); err != nil {
		t.Fatal(err)
	}
	n := c.Nodes()[0]
	old := n.Process.PID()
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil { // a crash the harness did not cause
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "automatic restart", func() bool { return n.Process.Starts() == 2 && n.Process.PID() != 0 })
	if err := n.WaitRPC(ctx); err != nil {
		t.Fatal(err)
	}
	checkStatePIDs(t, c, []int{n.Process.PID()})
	pid := n.Process.PID()
	if err := c.Destroy(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * supervisor.DefaultRestartDelay)
	if alive(pid) || n.Process.PID() != 0 || n.Process.Starts() != 2 {
		t.Fatalf("after Destroy: pid %d alive %v, current pid %d, starts %d", pid, alive(pid), n.Process.PID(), n.Process.Starts())
	}
}
