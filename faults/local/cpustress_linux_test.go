package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// cpuTicks is utime+stime of a process, from /proc/PID/stat.
func cpuTicks(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// After the command: state is field 3, utime 14, stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return u + st, nil
}

func allowedCPUs(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Cpus_allowed_list:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (s *CPUStress) pids() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, c := range s.spinners {
		out = append(out, c.Process.Pid)
	}
	return out
}

// TestCPUStressPinsBusyLoops pins a stand-in target to CPU 0 and checks the
// loops run there, burn CPU, and are gone after recovery.
func TestCPUStressPinsBusyLoops(t *testing.T) {
	if _, err := exec.LookPath("taskset"); err != nil {
		t.Skip("needs taskset (util-linux) to pin the stand-in target")
	}
	target := startProcess(t, "taskset", "-c", "0", "sleep", "300")
	if !eventually(5*time.Second, func() bool { return allowedCPUs(target.PID()) == "0" }) {
		t.Fatalf("stand-in target not pinned: %q", allowedCPUs(target.PID()))
	}
	f, err := NewCPUStress("tgt-a", 2, time.Minute, target)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(context.Background()); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	pids := f.pids()
	t.Cleanup(f.stop)
	if len(pids) != 2 {
		t.Fatalf("%d busy loops, want 2 (2 per CPU, 1 CPU)", len(pids))
	}
	for _, pid := range pids {
		if got := allowedCPUs(pid); got != "0" {
			t.Errorf("busy loop %d may run on CPUs %q, want 0", pid, got)
		}
		if !eventually(5*time.Second, func() bool { n, _ := cpuTicks(pid); return n > 0 }) {
			t.Errorf("busy loop %d used no CPU", pid)
		}
	}
	if err := f.Recover(context.Background()); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	for _, pid := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("busy loop %d still exists after recovery", pid)
		}
	}
}

// TestCPUStressStopsAtLimit: the loops end by themselves at the limit even
// when nobody recovers the fault.
func TestCPUStressStopsAtLimit(t *testing.T) {
	target := startSleep(t)
	f, err := NewCPUStress("tgt-a", 1, 50*time.Millisecond, target)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(context.Background()); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	t.Cleanup(f.stop)
	if !eventually(10*time.Second, func() bool { return len(f.pids()) == 0 }) {
		t.Errorf("busy loops %v still running past the limit", f.pids())
	}
	if err := f.Recover(context.Background()); err != nil {
		t.Errorf("Recover after the limit: %v", err)
	}
}

func TestCPUStressRejects(t *testing.T) {
	p := NewExecProcess("sleep", "1")
	for name, err := range map[string]error{
		"no workers":   errOf(NewCPUStress("n", 0, 0, p)),
		"many workers": errOf(NewCPUStress("n", MaxStressWorkers+1, 0, p)),
		"no process":   errOf(NewCPUStress("n", 1, 0)),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	f, err := NewCPUStress("n", 1, 0, p) // never started
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Inject(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Inject without a running target: %v, want ErrNotRunning", err)
	}
}

func TestCPUMask(t *testing.T) {
	var m cpuMask
	for _, c := range []int{0, 3, 64, 1023, 1024, -1} {
		m.set(c)
	}
	if got := fmt.Sprint(m.cpus()); got != "[0 3 64 1023]" {
		t.Errorf("cpus = %s", got)
	}
}
