package supervisor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// ErrNotRunning is returned by signalling methods when no incarnation of the
// process is alive.
var ErrNotRunning = errors.New("process not running")

// ErrRunning is returned by Start when the process is already alive.
var ErrRunning = errors.New("process already running")

// Spec describes the command a Process runs. It is copied by New.
type Spec struct {
	// Name identifies the process in errors and log headers (the node name).
	Name string
	// Path and Args are the program and its arguments (without argv[0]).
	Path string
	Args []string
	// Env is added to the harness's own environment.
	Env []string
	// Netns, when set, runs the command inside that named network
	// namespace through `ip netns exec`, which execs the program in place:
	// the PID the supervisor sees is the program's own.
	Netns string
	// LogPath receives stdout and stderr; every start appends to it.
	LogPath string
	// Dir is the working directory; empty means the harness's.
	Dir string
	// OnStart, when set, is called with each new incarnation's PID right
	// after it starts (to record it for cleanup). It runs while the Process
	// is locked, so it must not call the Process's methods.
	OnStart func(pid int)
	// Restart is what to do when an incarnation exits on its own (not
	// through Kill, Terminate or Shutdown): RestartNever by default.
	Restart RestartPolicy
	// RestartDelay is the wait before the first automatic restart,
	// doubling for each one that follows without an explicit Start, up to
	// maxRestartDelay. DefaultRestartDelay when zero.
	RestartDelay time.Duration
}

// Process supervises successive incarnations of one command. Its methods are
// safe for concurrent use. The zero value is not usable; call New.
type Process struct {
	spec Spec

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current incarnation was reaped
	err    error         // current incarnation's exit error, once exited
	starts int

	requested bool        // the current incarnation was told to exit
	shutdown  bool        // no more automatic restarts
	crashes   int         // automatic restarts since the last explicit Start
	timer     *time.Timer // pending automatic restart
}

// New returns a supervisor for spec; nothing runs until Start.
func New(spec Spec) *Process {
	spec.Args = append([]string(nil), spec.Args...)
	spec.Env = append([]string(nil), spec.Env...)
	p := &Process{spec: spec, exited: make(chan struct{})}
	close(p.exited) // no incarnation yet: "exited" from the start
	return p
}

// Name is the Spec's name.
func (p *Process) Name() string { return p.spec.Name }

// LogPath is the file stdout and stderr go to.
func (p *Process) LogPath() string { return p.spec.LogPath }

// Start launches a new incarnation. It fails with ErrRunning while one is
// alive. The process is not tied to ctx: ctx only bounds the start itself,
// because a target must outlive the call that started it.
func (p *Process) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: start: %w", p.spec.Name, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.crashes = 0
	return p.startLocked("start")
}

// startLocked launches an incarnation; why goes into the log header.
func (p *Process) startLocked(why string) error {
	if p.aliveLocked() {
		return fmt.Errorf("%s: start: %w (pid %d)", p.spec.Name, ErrRunning, p.cmd.Process.Pid)
	}
	p.cancelRestartLocked()
	logf, err := openLog(p.spec.LogPath)
	if err != nil {
		return fmt.Errorf("%s: start: %w", p.spec.Name, err)
	}
	defer logf.Close() // the child holds its own copy of the descriptor
	cmd := p.command()
	cmd.Stdout, cmd.Stderr = logf, logf
	fmt.Fprintf(logf, "=== %s %s %d at %s: %s %q\n", p.spec.Name, why, p.starts+1,
		time.Now().UTC().Format(time.RFC3339Nano), cmd.Path, cmd.Args[1:])
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start %s: %w", p.spec.Name, cmd.Path, err)
	}
	p.starts++
	p.cmd, p.err, p.requested = cmd, nil, false
	exited := make(chan struct{})
	p.exited = exited
	go p.reap(cmd, exited)
	if p.spec.OnStart != nil {
		p.spec.OnStart(cmd.Process.Pid)
	}
	return nil
}

// command builds the exec.Cmd for one incarnation.
func (p *Process) command() *exec.Cmd {
	path, args := p.spec.Path, p.spec.Args
	if p.spec.Netns != "" {
		args = append([]string{"netns", "exec", p.spec.Netns, path}, args...)
		path = ipPath()
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = p.spec.Dir
	cmd.Env = append(os.Environ(), p.spec.Env...)
	cmd.SysProcAttr = sysProcAttr()
	return cmd
}

// reap waits for one incarnation, publishes its exit and, if the restart
// policy says so, schedules the next incarnation. The channel is closed
// before the restart is scheduled, so the restart never sees it open.
func (p *Process) reap(cmd *exec.Cmd, exited chan struct{}) {
	err := cmd.Wait()
	p.mu.Lock()
	current := p.cmd == cmd
	if current {
		p.err = err
	}
	p.mu.Unlock()
	close(exited)
	if current {
		p.maybeRestart(cmd, err)
	}
}

// aliveLocked reports whether the current incarnation has not been reaped.
func (p *Process) aliveLocked() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// PID is the current incarnation's process ID, or 0 when none is alive.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.aliveLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Starts counts the incarnations started so far.
func (p *Process) Starts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.starts
}

// Exited returns a channel closed when the current incarnation has exited
// and been reaped (already closed when none is alive). A later Start makes a
// new channel, so fetch it after Start.
func (p *Process) Exited() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// ExitErr is how the last incarnation ended: nil for exit status 0 or while
// it still runs, an *exec.ExitError otherwise.
func (p *Process) ExitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

// Wait blocks until the current incarnation exits or ctx ends, and returns
// its exit error (nil for status 0) or the context's error.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.Exited():
		return p.ExitErr()
	case <-ctx.Done():
		return fmt.Errorf("%s: wait: %w", p.spec.Name, ctx.Err())
	}
}

// Kill sends SIGKILL to the process group: a crash, as process-kill means.
func (p *Process) Kill() error { return p.signal(syscall.SIGKILL) }

// Stop sends SIGSTOP to the process group: a hang until Cont.
func (p *Process) Stop() error { return p.signal(syscall.SIGSTOP) }

// Cont sends SIGCONT to the process group, ending a Stop.
func (p *Process) Cont() error { return p.signal(syscall.SIGCONT) }

// Signal sends sig to the process group.
func (p *Process) Signal(sig syscall.Signal) error { return p.signal(sig) }

// signal delivers sig to the whole group so helpers the target forked share
// its fate. A group is only signalled while its leader is unreaped, so a
// recycled PID is never hit.
func (p *Process) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.aliveLocked() {
		return fmt.Errorf("%s: %v: %w", p.spec.Name, sig, ErrNotRunning)
	}
	pid := p.cmd.Process.Pid
	if sig == syscall.SIGKILL || sig == syscall.SIGTERM {
		p.requested = true
	}
	if err := syscall.Kill(-pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: %v to group %d: %w", p.spec.Name, sig, pid, err)
	}
	return nil
}

// Terminate asks the process to exit with SIGTERM (followed by SIGCONT, so a
// stopped process can act on it), waits up to grace, then sends SIGKILL and
// waits for the exit, bounded by ctx. It returns nil when nothing runs.
func (p *Process) Terminate(ctx context.Context, grace time.Duration) error {
	p.mu.Lock()
	p.cancelRestartLocked() // a crashed process waiting to restart stays down
	p.mu.Unlock()
	exited := p.Exited()
	if err := p.signal(syscall.SIGTERM); errors.Is(err, ErrNotRunning) {
		return nil
	} else if err != nil {
		return err
	}
	_ = p.signal(syscall.SIGCONT)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
		return nil
	case <-ctx.Done():
	case <-t.C:
	}
	if err := p.Kill(); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	select {
	case <-exited:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: terminate: no exit after SIGKILL: %w", p.spec.Name, ctx.Err())
	}
}

// Restart terminates the current incarnation (see Terminate) and starts a
// new one.
func (p *Process) Restart(ctx context.Context, grace time.Duration) error {
	if err := p.Terminate(ctx, grace); err != nil {
		return err
	}
	return p.Start(ctx)
}

// openLog opens path for appending, creating its directory.
func openLog(path string) (*os.File, error) {
	if path == "" {
		return os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	return f, nil
}

// ipPath finds iproute2's ip, falling back to the name for a clear exec error.
func ipPath() string {
	if p, err := exec.LookPath("ip"); err == nil {
		return p
	}
	return "ip"
}
