package local

import (
	"context"
	"errors"
	"os"
)

// Process is a handle on a node's long-running process (the target) that
// survives restarts: after Start it designates the new process. The local
// provisioner's supervisor implements it; ExecProcess is a plain one.
// Implementations are safe for concurrent use.
type Process interface {
	// PID is the current process's id, 0 when it is not running.
	PID() int
	// Signal sends sig to the running process, ErrNotRunning when there is
	// none.
	Signal(sig os.Signal) error
	// Kill sends SIGKILL to the running process, ErrNotRunning when there
	// is none.
	Kill() error
	// Start starts the process when it is not running (a restart after an
	// exit), ErrRunning when it is.
	Start(ctx context.Context) error
	// Wait blocks until the process has exited, whatever its exit status,
	// or ctx ends (returning ctx's error). It returns nil at once when the
	// process is not running.
	Wait(ctx context.Context) error
}

// Sentinel errors of Process implementations.
var (
	// ErrNotRunning: the process has exited or was never started.
	ErrNotRunning = errors.New("process is not running")
	// ErrRunning: Start on a process that is running.
	ErrRunning = errors.New("process is already running")
)
