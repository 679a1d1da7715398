package supervisor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func policyProcess(t *testing.T, policy RestartPolicy, script string) *Process {
	t.Helper()
	p := shell(t, script)
	p.spec.Restart = policy
	p.spec.RestartDelay = 10 * time.Millisecond
	return p
}

// A process that keeps failing is restarted with a growing delay, and
// Shutdown ends the loop.
func TestRestartOnFailureLoop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := policyProcess(t, RestartOnFailure, "exit 3")
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "three automatic restarts", func() bool { return p.Starts() >= 4 })
	if err := p.Shutdown(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	n := p.Starts()
	time.Sleep(300 * time.Millisecond) // longer than the delays so far
	if p.Starts() != n {
		t.Fatalf("restarted after Shutdown: %d starts, then %d", n, p.Starts())
	}
	b, _ := os.ReadFile(p.LogPath())
	if !strings.Contains(string(b), "restart after exit status 3, crash 1:") {
		t.Fatalf("log does not say why it restarted:\n%s", b)
	}
}

func TestRestartPolicies(t *testing.T) {
	for _, tc := range []struct {
		name    string
		policy  RestartPolicy
		script  string
		act     func(p *Process) error
		restart bool
	}{
		{"never", RestartNever, "exit 1", nil, false},
		{"on-failure, clean exit", RestartOnFailure, "exit 0", nil, false},
		{"always, clean exit", RestartAlways, "sleep 0.05", nil, true},
		{"always, Kill asked for", RestartAlways, "exec sleep 60", (*Process).Kill, false},
		{"on-failure, crash by someone else's SIGKILL", RestartOnFailure, "exec sleep 60",
			func(p *Process) error { return syscall.Kill(p.PID(), syscall.SIGKILL) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			p := policyProcess(t, tc.policy, tc.script)
			if err := p.Start(ctx); err != nil {
				t.Fatal(err)
			}
			exited := p.Exited()
			if tc.act != nil {
				if err := tc.act(p); err != nil {
					t.Fatal(err)
				}
			}
			<-exited
			time.Sleep(200 * time.Millisecond)
			if restarted := p.Starts() > 1; restarted != tc.restart {
				t.Fatalf("restarted %v, want %v (%d starts)", restarted, tc.restart, p.Starts())
			}
			if err := p.Shutdown(ctx, time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// Terminate while a crashed process waits for its restart keeps it down.
func TestTerminateCancelsPendingRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p := shell(t, "exit 1")
	p.spec.Restart, p.spec.RestartDelay = RestartOnFailure, 200*time.Millisecond
	p.spec.LogPath = filepath.Join(t.TempDir(), "log")
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-p.Exited()
	time.Sleep(20 * time.Millisecond) // let reap schedule the restart
	if err := p.Terminate(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if p.Starts() != 1 {
		t.Fatalf("%d starts after Terminate, want 1", p.Starts())
	}
}
