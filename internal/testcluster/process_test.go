package testcluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A component that exits is seen as gone (reaped, not a zombie), and one
// that runs is stopped by stop.
func TestProcLifecycle(t *testing.T) {
	l := NewLayout(t.TempDir())
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	quick, err := start(l, component{name: "quick", bin: "/bin/sh", args: []string{"-c", "echo bye; exit 3"}})
	if err != nil && !strings.Contains(err.Error(), "exited at once") {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for quick.Alive() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if quick.Alive() {
		t.Fatal("an exited process still counts as alive")
	}
	if got := lastLines(l, "quick", 5); !strings.Contains(got, "bye") {
		t.Errorf("log lacks the component's output: %q", got)
	}

	sleeper, err := start(l, component{name: "sleeper", bin: "/bin/sleep", args: []string{"60"}})
	if err != nil {
		t.Fatal(err)
	}
	if !sleeper.Alive() {
		t.Fatal("a running process counts as gone")
	}
	recycled := &Proc{PID: sleeper.PID, StartTicks: sleeper.StartTicks + 1}
	if recycled.Alive() {
		t.Error("a PID with another start time counts as the component")
	}
	sleeper.stop(2 * time.Second)
	if sleeper.Alive() {
		t.Fatal("stop left the process running")
	}
	if _, err := os.Stat(filepath.Join(l.LogDir(), "sleeper.log")); err != nil {
		t.Errorf("no log file: %v", err)
	}
}
