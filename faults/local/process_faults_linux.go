package local

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
)

// killWait bounds the wait for a SIGKILLed process to be gone: the kernel
// needs no cooperation from it, so a longer wait means something is wrong
// (a process in uninterruptible sleep).
const killWait = 10 * time.Second

// DefaultGrace is how long a graceful restart waits after SIGTERM before it
// resorts to SIGKILL.
const DefaultGrace = 10 * time.Second

// Kill is process-kill: SIGKILL the node's target; recovery starts it again
// unless restart is off.
type Kill struct {
	node    string
	p       Process
	restart bool
	killed  int // the pid the last Inject killed, for TookEffect
}

var _ faults.Fault = (*Kill)(nil)

// NewKill returns a process-kill of p on node.
func NewKill(node string, p Process, restart bool) *Kill {
	return &Kill{node: node, p: p, restart: restart}
}

// Available needs nothing: signalling a child needs no privilege.
func (k *Kill) Available() error { return nil }

// Describe names the fault and node.
func (k *Kill) Describe() string { return fmt.Sprintf("process-kill %s", k.node) }

// Inject kills the process and waits until it is gone, so a restart never
// races the old process for its port.
func (k *Kill) Inject(ctx context.Context) error {
	k.killed = k.p.PID()
	if err := killAndWait(ctx, k.p); err != nil {
		return fmt.Errorf("%s: %w", k.Describe(), err)
	}
	return nil
}

// Recover restarts the process; one already running is left alone.
func (k *Kill) Recover(ctx context.Context) error {
	if !k.restart {
		return nil
	}
	return startIfStopped(ctx, k.p, k.Describe())
}

func killAndWait(ctx context.Context, p Process) error {
	if err := p.Kill(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, killWait)
	defer cancel()
	if err := p.Wait(wctx); err != nil {
		return fmt.Errorf("waiting for the killed process to exit: %w", err)
	}
	return nil
}

func startIfStopped(ctx context.Context, p Process, what string) error {
	if err := p.Start(ctx); err != nil && !errors.Is(err, ErrRunning) {
		return fmt.Errorf("%s: restart: %w", what, err)
	}
	return nil
}

// Pause is process-pause: SIGSTOP the node's target, SIGCONT on recovery. The
// process keeps its sockets, so hosts see a hang, not a reset.
type Pause struct {
	node string
	p    Process
}

var _ faults.Fault = (*Pause)(nil)

// NewPause returns a process-pause of p on node.
func NewPause(node string, p Process) *Pause { return &Pause{node: node, p: p} }

// Available needs nothing.
func (s *Pause) Available() error { return nil }

// Describe names the fault and node.
func (s *Pause) Describe() string { return fmt.Sprintf("process-pause %s", s.node) }

// Inject stops the process.
func (s *Pause) Inject(context.Context) error {
	if err := s.p.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("%s: %w", s.Describe(), err)
	}
	return nil
}

// Recover resumes the process. SIGCONT to a running process is harmless, so
// this is safe after a failed Inject.
func (s *Pause) Recover(context.Context) error {
	if err := s.p.Signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("%s: %w", s.Describe(), err)
	}
	return nil
}

// Restart is process-restart: SIGTERM the node's target and wait for it to
// exit (SIGKILL after the grace period); recovery starts it again, so the
// fault's duration is the downtime and a zero duration an immediate restart.
type Restart struct {
	node    string
	p       Process
	grace   time.Duration
	stopped int // the pid the last Inject stopped, for TookEffect
}

var _ faults.Fault = (*Restart)(nil)

// NewRestart returns a process-restart of p on node; grace <= 0 means
// DefaultGrace.
func NewRestart(node string, p Process, grace time.Duration) *Restart {
	if grace <= 0 {
		grace = DefaultGrace
	}
	return &Restart{node: node, p: p, grace: grace}
}

// Available needs nothing.
func (r *Restart) Available() error { return nil }

// Describe names the fault and node.
func (r *Restart) Describe() string { return fmt.Sprintf("process-restart %s", r.node) }

// Inject asks the process to stop and waits until it has.
func (r *Restart) Inject(ctx context.Context) error {
	r.stopped = r.p.PID()
	if err := r.p.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("%s: %w", r.Describe(), err)
	}
	gctx, cancel := context.WithTimeout(ctx, r.grace)
	defer cancel()
	if err := r.p.Wait(gctx); err == nil {
		return nil
	} else if ctx.Err() != nil {
		return fmt.Errorf("%s: waiting for exit: %w", r.Describe(), err)
	}
	// The grace period ran out: a target that ignores SIGTERM is still
	// restarted, by force.
	if err := killAndWait(ctx, r.p); err != nil && !errors.Is(err, ErrNotRunning) {
		return fmt.Errorf("%s: no exit %s after SIGTERM: %w", r.Describe(), r.grace, err)
	}
	return nil
}

// Recover starts the process again.
func (r *Restart) Recover(ctx context.Context) error {
	return startIfStopped(ctx, r.p, r.Describe())
}
