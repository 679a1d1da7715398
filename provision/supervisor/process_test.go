package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
)

// helperEnv makes the test binary act as a supervised child instead of
// running tests, so the tests control exactly how the child reacts.
const helperEnv = "SUPERVISOR_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "exit-on-term" {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		fmt.Println("ready")
		select {
		case <-c:
			os.Exit(0)
		case <-time.After(time.Minute):
			os.Exit(3)
		}
	}
	os.Exit(m.Run())
}

// waitFor fails the test unless cond holds within d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := poll.Until(context.Background(), what, poll.Holds(cond), poll.Every(10*time.Millisecond), poll.Within(d)); err != nil {
		t.Fatal(err)
	}
}

func shell(t *testing.T, script string) *Process {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	log := filepath.Join(t.TempDir(), "logs", "p.log")
	p := New(Spec{Name: "node-a", Path: sh, Args: []string{"-c", script}, Env: []string{"SUPERVISOR_TEST=1"}, LogPath: log})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = p.Terminate(ctx, time.Second)
	})
	return p
}

func gone(pid int) bool {
	st, err := ReadStat(pid)
	return err != nil || st.State == 'Z'
}

func TestProcessLifecycle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := shell(t, `echo "hello $SUPERVISOR_TEST"; echo oops >&2; exec sleep 60`)
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "first output", func() bool {
		b, _ := os.ReadFile(p.LogPath())
		return strings.Contains(string(b), "oops\n") // the header quotes the script: match the output
	})
	pid := p.PID()
	if err := p.Start(ctx); !errors.Is(err, ErrRunning) {
		t.Fatalf("second Start: %v, want ErrRunning", err)
	}
	st, err := ReadStat(pid)
	if err != nil || st.PGID != pid {
		t.Fatalf("stat %+v, %v: want its own process group", st, err)
	}

	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "state T", func() bool { s, _ := ReadStat(pid); return s.State == 'T' })
	if err := p.Cont(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "leaving state T", func() bool { s, _ := ReadStat(pid); return s.State != 'T' })

	exited := p.Exited()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-ctx.Done():
		t.Fatal("Exited not closed after Kill")
	}
	var ee *exec.ExitError
	if err := p.ExitErr(); !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("ExitErr %v, want killed by SIGKILL", err)
	}
	if p.PID() != 0 || !gone(pid) {
		t.Fatalf("pid %d still reported or alive", pid)
	}
	if err := p.Kill(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Kill of dead process: %v, want ErrNotRunning", err)
	}

	if err := p.Restart(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	if p.PID() == 0 || p.PID() == pid || p.Starts() != 2 {
		t.Fatalf("after restart pid %d (was %d), starts %d", p.PID(), pid, p.Starts())
	}
	var logged string
	defer func() { t.Logf("log:\n%s", logged) }()
	waitFor(t, 5*time.Second, "two starts logged", func() bool {
		b, _ := os.ReadFile(p.LogPath())
		logged = string(b)
		return strings.Count(string(b), "hello 1") == 2 && strings.Count(string(b), "oops\n") == 2 &&
			strings.Contains(string(b), "=== node-a start 2")
	})
}

// A process that ignores SIGTERM is killed after the grace period, together
// with the child it forked.
func TestTerminateEscalatesAndKillsGroup(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := shell(t, `trap "" TERM; sleep 60 & echo $! > child; wait`)
	p.spec.Dir = t.TempDir()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	var child int
	waitFor(t, 5*time.Second, "child pid", func() bool {
		b, err := os.ReadFile(filepath.Join(p.spec.Dir, "child"))
		if err != nil {
			return false
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(b)))
		child = n
		return err == nil && n > 0
	})
	start := time.Now()
	if err := p.Terminate(ctx, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("terminated after %v, before the grace period", d)
	}
	waitFor(t, 5*time.Second, "forked child gone", func() bool { return gone(child) })
	if err := p.Terminate(ctx, time.Second); err != nil {
		t.Fatalf("Terminate of dead process: %v", err)
	}
}

// A stopped process still gets to handle SIGTERM.
func TestTerminateStoppedProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := New(Spec{Name: "node-b", Path: os.Args[0], Env: []string{helperEnv + "=exit-on-term"},
		LogPath: filepath.Join(t.TempDir(), "p.log")})
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "trap set", func() bool {
		b, _ := os.ReadFile(p.LogPath())
		return strings.Contains(string(b), "ready")
	})
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Terminate(ctx, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := p.ExitErr(); err != nil {
		t.Fatalf("exit: %v, want a clean exit from the TERM trap", err)
	}
}

func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	p := New(Spec{Name: "node-x", Path: filepath.Join(t.TempDir(), "missing")})
	if err := p.Start(ctx); err == nil || !strings.Contains(err.Error(), "node-x") {
		t.Fatalf("Start of missing binary: %v, want an error naming the node", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.Start(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Start with cancelled ctx: %v", err)
	}
	if err := p.Wait(ctx); err != nil {
		t.Fatalf("Wait with nothing started: %v", err)
	}
}

func TestParseStat(t *testing.T) {
	line := []byte("4242 (a (b) c) T 1 4242 4242 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0")
	st, err := parseStat(4242, line)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != 'T' || st.PPID != 1 || st.PGID != 4242 || st.StartTime != 987654 {
		t.Fatalf("%+v", st)
	}
	for _, bad := range []string{"", "1 (x", "1 (x) S 1 2", "1 (x) S a 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 5"} {
		if _, err := parseStat(1, []byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}
