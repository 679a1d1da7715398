package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
)

// ExecProcess is a Process over os/exec: each Start runs the same command
// line anew. It neither restarts by itself nor kills on context end; its
// owner stops it (Kill then Wait) when done.
type ExecProcess struct {
	argv []string
	// Stdout and Stderr, when set before Start, receive the output.
	Stdout, Stderr io.Writer

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{} // closed when cmd has exited and been reaped
	state *os.ProcessState
}

var _ Process = (*ExecProcess)(nil)

// NewExecProcess returns a handle that runs argv (program and arguments)
// on Start.
func NewExecProcess(argv ...string) *ExecProcess {
	return &ExecProcess{argv: argv}
}

// Start runs the command if it is not running.
func (p *ExecProcess) Start(ctx context.Context) error {
	if len(p.argv) == 0 {
		return errors.New("exec process: empty command line")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.runningLocked() {
		return fmt.Errorf("%s (pid %d): %w", p.argv[0], p.cmd.Process.Pid, ErrRunning)
	}
	// Not CommandContext: the process outlives the call that started it.
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Stdout, cmd.Stderr = p.Stdout, p.Stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", p.argv[0], err)
	}
	done := make(chan struct{})
	p.cmd, p.done, p.state = cmd, done, nil
	go func() {
		_ = cmd.Wait() // the status is kept in ProcessState
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		close(done)
	}()
	return nil
}

func (p *ExecProcess) runningLocked() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// PID returns the running process's id, or 0.
func (p *ExecProcess) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return 0
	}
	return p.cmd.Process.Pid
}

// Signal sends sig to the running process.
func (p *ExecProcess) Signal(sig os.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.runningLocked() {
		return fmt.Errorf("signal %v to %s: %w", sig, p.argv[0], ErrNotRunning)
	}
	err := p.cmd.Process.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal %v to %s: %w", sig, p.argv[0], ErrNotRunning)
	}
	if err != nil {
		return fmt.Errorf("signal %v to %s (pid %d): %w", sig, p.argv[0], p.cmd.Process.Pid, err)
	}
	return nil
}

// Kill sends SIGKILL.
func (p *ExecProcess) Kill() error { return p.Signal(syscall.SIGKILL) }

// Wait waits for the current process to exit.
func (p *ExecProcess) Wait(ctx context.Context) error {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExitState is the last exited process's status, nil while it runs or
// before the first Start.
func (p *ExecProcess) ExitState() *os.ProcessState {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}
