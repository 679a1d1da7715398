package local

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/internal/poll"
	"github.com/nvmf-chaos/nvmf-chaos/internal/testbin"
)

// startSleep starts a long sleep as a stand-in target, stopped at cleanup.
func startSleep(t *testing.T) *ExecProcess {
	t.Helper()
	return startProcess(t, "sleep", "300")
}

func startProcess(t *testing.T, argv ...string) *ExecProcess {
	t.Helper()
	p := NewExecProcess(argv...)
	if err := p.Start(context.Background()); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	t.Cleanup(func() { stopProcess(p) })
	return p
}

// stopProcess kills p, resuming it first in case a test left it stopped.
func stopProcess(p Process) {
	_ = p.Signal(syscall.SIGCONT)
	_ = p.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.Wait(ctx)
}

// eventually reports whether cond holds within limit (0: now).
func eventually(limit time.Duration, cond func() bool) bool {
	if limit <= 0 {
		return cond()
	}
	return poll.Until(context.Background(), "a test condition", poll.Holds(cond),
		poll.Every(10*time.Millisecond), poll.Within(limit)) == nil
}

func TestKillKillsAndRestarts(t *testing.T) {
	ctx := context.Background()
	p := startSleep(t)
	old := p.PID()
	k := NewKill("n1", p, true)
	if err := k.Inject(ctx); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	st := p.ExitState()
	if st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("exit state %v, want killed by SIGKILL", st)
	}
	if p.PID() != 0 {
		t.Errorf("PID %d after kill, want 0", p.PID())
	}
	if err := k.Recover(ctx); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if pid := p.PID(); pid == 0 || pid == old {
		t.Errorf("PID %d after recovery (was %d): want a new process", pid, old)
	}
	// Recovery is idempotent: the process is already running.
	if err := k.Recover(ctx); err != nil {
		t.Errorf("second Recover: %v", err)
	}
}

func TestKillWithoutRestart(t *testing.T) {
	p := startSleep(t)
	k := NewKill("n1", p, false)
	if err := k.Inject(context.Background()); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if err := k.Recover(context.Background()); err != nil || p.PID() != 0 {
		t.Errorf("Recover: %v, pid %d: want nothing restarted", err, p.PID())
	}
	if err := k.Inject(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Inject on a dead process: %v, want ErrNotRunning", err)
	}
}

func TestPauseStopsAndResumes(t *testing.T) {
	p := startSleep(t)
	f := NewPause("n1", p)
	if err := f.Inject(context.Background()); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if !eventually(5*time.Second, func() bool { s, _ := procState(p.PID()); return s == "T" }) {
		s, err := procState(p.PID())
		t.Fatalf("state %q (%v) after SIGSTOP, want T", s, err)
	}
	if err := f.Recover(context.Background()); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if !eventually(5*time.Second, func() bool { s, _ := procState(p.PID()); return s == "S" || s == "R" }) {
		s, err := procState(p.PID())
		t.Fatalf("state %q (%v) after SIGCONT, want S or R", s, err)
	}
}

func TestRestartEscalatesToKill(t *testing.T) {
	// A process that ignores SIGTERM (exec keeps the ignored disposition).
	p := startProcess(t, "sh", "-c", `trap "" TERM; exec sleep 300`)
	time.Sleep(50 * time.Millisecond) // let the trap be set before the signal
	r := NewRestart("n1", p, 100*time.Millisecond)
	if err := r.Inject(context.Background()); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if st := p.ExitState(); st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("exit state %v, want SIGKILL after the grace period", st)
	}
	if err := r.Recover(context.Background()); err != nil || p.PID() == 0 {
		t.Errorf("Recover: %v, pid %d: want it running again", err, p.PID())
	}
}

// TestRestartTargetServesAgain restarts the real embedded target and checks
// from outside: the port refuses connections while it is down and accepts
// them once recovered.
func TestRestartTargetServesAgain(t *testing.T) {
	bin := testbin.Path(t)
	addr := freeLoopbackAddr(t)
	p := startProcess(t, bin, "target", "--listen", addr, "--malloc", "16MiB")
	if !dialable(addr, 10*time.Second) {
		t.Fatalf("target never listened on %s", addr)
	}
	r := NewRestart("tgt-a", p, 0)
	if err := r.Inject(context.Background()); err != nil {
		t.Fatalf("Inject: %v", err)
	}
	if st := p.ExitState(); st == nil || !st.Exited() {
		t.Errorf("exit state %v, want a graceful exit on SIGTERM", st)
	}
	if dialable(addr, 0) {
		t.Errorf("%s still accepts connections after the target stopped", addr)
	}
	if err := r.Recover(context.Background()); err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if !dialable(addr, 10*time.Second) {
		t.Errorf("target not serving on %s after the restart", addr)
	}
}

// TestMain removes the nvmf-chaos build the process tests start.
func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// TestKillTargetThenRestart kills the real embedded target: it dies of
// SIGKILL, its port refuses connections, and recovery serves it again.
func TestKillTargetThenRestart(t *testing.T) {
	bin := testbin.Path(t)
	addr := freeLoopbackAddr(t)
	p := startProcess(t, bin, "target", "--listen", addr, "--malloc", "16MiB")
	if !dialable(addr, 10*time.Second) {
		t.Fatalf("target never listened on %s", addr)
	}
	injectRecover(t, NewKill("tgt-a", p, true), func() {
		if st := p.ExitState(); st == nil || st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("exit state %v, want killed by SIGKILL", st)
		}
		if dialable(addr, 0) {
			t.Errorf("%s accepts connections with the target killed", addr)
		}
	})
	if !dialable(addr, 10*time.Second) {
		t.Errorf("target not serving on %s after recovery", addr)
	}
}

// freeLoopbackAddr returns a loopback address with a port free right now.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// dialable reports whether a TCP connection to addr succeeds within limit
// (one attempt when limit is 0).
func dialable(addr string, limit time.Duration) bool {
	return eventually(limit, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// TestProcessFaultsRecoveredOnCancel cancels a run while a kill and a pause
// are in effect: the killed process is running again and the paused one is
// no longer stopped.
func TestProcessFaultsRecoveredOnCancel(t *testing.T) {
	killed, paused := startSleep(t), startSleep(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	injected := 0
	s, err := faults.NewSchedule(time.Now(), []faults.Timed{
		{Fault: NewKill("a", killed, true), Kind: "process-kill", Node: "a", Duration: time.Hour},
		{Fault: NewPause("b", paused), Kind: "process-pause", Node: "b", Duration: time.Hour},
	}, faults.WithProgress(func(e faults.Event) {
		if e.Phase == faults.PhaseInject {
			if injected++; injected == 2 {
				cancel()
			}
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := s.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	if len(evs) != 4 {
		t.Errorf("events %+v, want inject and recover of both", evs)
	}
	if killed.PID() == 0 {
		t.Error("killed process not restarted after the cancel")
	}
	if s, err := procState(paused.PID()); err != nil || s == "T" {
		t.Errorf("paused process state %q (%v) after the cancel, want resumed", s, err)
	}
}
