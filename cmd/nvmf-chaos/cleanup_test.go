package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmftarget/targettest"
	"github.com/nvmf-chaos/nvmf-chaos/provision/cluster"
	"github.com/nvmf-chaos/nvmf-chaos/provision/rpc"
	"github.com/nvmf-chaos/nvmf-chaos/provision/volume"
)

// TestCleanup leaks a process the way a crashed run would (only its
// environment names the run) and has cleanup list, then end it.
func TestCleanup(t *testing.T) {
	prefix := fmt.Sprintf("nvmfc-c%05d", os.Getpid()%100000)
	stray := exec.Command("sleep", "60")
	stray.Env = append(os.Environ(), cluster.RunEnv+"="+prefix)
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = stray.Wait(); close(done) }()
	t.Cleanup(func() { _ = stray.Process.Kill() })
	pid := strconv.Itoa(stray.Process.Pid)
	args := []string{"cleanup", "--prefix", prefix, "--state-dir", t.TempDir()}

	// Retry the scan briefly: on a loaded CI machine one scan right after
	// Start has been seen to miss the new process (it never did locally).
	var out string
	var code int
	for range 30 {
		out, code = runCLI(t, append(args, "--dry-run")...)
		if code != 0 || strings.Contains(out, "would remove process "+pid) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code != 0 || !strings.Contains(out, "would remove process "+pid) {
		t.Fatalf("dry run (exit %d):\n%s", code, out)
	}
	if err := stray.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("dry run ended the process: %v", err)
	}

	out, code = runCLI(t, args...)
	if code != 0 || !strings.Contains(out, "removed process "+pid) {
		t.Fatalf("cleanup (exit %d):\n%s", code, out)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("process still running after cleanup")
	}

	out, code = runCLI(t, args...)
	if code != 0 || !strings.Contains(out, "nothing named "+prefix) {
		t.Fatalf("second cleanup (exit %d):\n%s", code, out)
	}
	if out, code := runCLI(t, "cleanup", "--prefix", ""); code != exitCannotRun || !strings.Contains(out, "empty") {
		t.Fatalf("empty prefix (exit %d):\n%s", code, out)
	}
}

// TestCleanupRPC provisions a volume on a target the harness did not start,
// as a crashed run would leave it, and has cleanup --rpc remove it.
func TestCleanupRPC(t *testing.T) {
	c, sock := targettest.RPC(t)
	v, err := volume.Create(t.Context(), volume.Spec{Name: "v", RunID: "zz9", Size: 8 << 20, Backing: volume.Lvol, Delay: true,
		Paths: []volume.Path{{Node: "n", RPC: c, Addr: targettest.FreeAddr(t)}}})
	if err != nil {
		t.Fatal(err)
	}

	args := []string{"cleanup", "--prefix", "nvmfc-zz9", "--state-dir", t.TempDir(), "--rpc", sock}
	out, code := runCLI(t, args...)
	if code != 0 || !strings.Contains(out, "removed subsystem "+v.NQN) || !strings.Contains(out, "removed lvstore") {
		t.Fatalf("cleanup --rpc (exit %d):\n%s", code, out)
	}
	bdevs, err := c.BdevGetBdevs(t.Context(), rpc.BdevGetBdevsParams{})
	if err != nil || len(bdevs) != 0 {
		t.Fatalf("bdevs left after cleanup: %v (%v)", bdevs, err)
	}
	if out, code := runCLI(t, "cleanup", "--rpc", filepath.Join(t.TempDir(), "none.sock")); code != exitCannotRun || !strings.Contains(out, "none.sock") {
		t.Fatalf("unreachable target (exit %d):\n%s", code, out)
	}
}
