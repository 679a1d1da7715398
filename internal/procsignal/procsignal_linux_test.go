package procsignal

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// A real child process is found by its command line, stopped, seen
// stopped, continued and seen running.
func TestStopAndContinueAChild(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "nvmf-chaos")
	if err := os.Symlink("/bin/sleep", bin); err != nil {
		t.Fatal(err)
	}
	// argv[0] is the symlink's path, argv[1] the "subcommand".
	cmd := exec.Command(bin, "30")
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start a child: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	pids, err := Find("/proc", "nvmf-chaos", "30")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(pids, cmd.Process.Pid) {
		t.Fatalf("Find = %v, want it to hold the child %d", pids, cmd.Process.Pid)
	}
	if others, _ := Find("/proc", "nvmf-chaos", "31"); slices.Contains(others, cmd.Process.Pid) {
		t.Fatal("Find matched another subcommand")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	tests := []struct {
		sig         syscall.Signal
		wantStopped bool
	}{{syscall.SIGSTOP, true}, {syscall.SIGCONT, false}, {syscall.SIGSTOP, true}, {syscall.SIGCONT, false}}
	for _, tt := range tests {
		if err := SignalAndWait(ctx, "/proc", cmd.Process.Pid, tt.sig); err != nil {
			t.Fatal(err)
		}
		st, err := State("/proc", cmd.Process.Pid)
		if err != nil {
			t.Fatal(err)
		}
		if Stopped(st) != tt.wantStopped {
			t.Fatalf("after %v state %c", tt.sig, st)
		}
	}
	if err := SignalAndWait(ctx, "/proc", cmd.Process.Pid, syscall.SIGTERM); err == nil {
		t.Fatal("SIGTERM accepted: it has no state to wait for")
	}
}

func TestStateReadsPastParentheses(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "7"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A command name holding ") S (" must not fool the parser.
	stat := "7 (odd) S (name) T 1 7 7 0 -1"
	if err := os.WriteFile(filepath.Join(root, "7", "stat"), []byte(stat), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := State(root, 7)
	if err != nil || st != 'T' {
		t.Fatalf("State = %c, %v; want T", st, err)
	}
}
