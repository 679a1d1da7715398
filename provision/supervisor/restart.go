package supervisor

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

// RestartPolicy says whether an incarnation that exits on its own is
// replaced, like a Kubernetes pod's restartPolicy. Exits the harness asked
// for (Kill, Terminate, Shutdown) never trigger a restart, so a fault that
// kills a target decides itself when it comes back.
type RestartPolicy string

// Restart policies.
const (
	// RestartNever leaves a crashed process down.
	RestartNever RestartPolicy = ""
	// RestartOnFailure restarts after a non-zero exit or a signal the
	// harness did not send.
	RestartOnFailure RestartPolicy = "on-failure"
	// RestartAlways restarts after any exit the harness did not ask for.
	RestartAlways RestartPolicy = "always"
)

// DefaultRestartDelay is the first automatic restart's delay.
const DefaultRestartDelay = 100 * time.Millisecond

// maxRestartDelay caps the doubling delay of a crash loop.
const maxRestartDelay = 10 * time.Second

// maybeRestart schedules the next incarnation after cmd exited with err,
// if the policy asks for one.
func (p *Process) maybeRestart(cmd *exec.Cmd, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != cmd || p.requested || p.shutdown {
		return
	}
	switch p.spec.Restart {
	case RestartAlways:
	case RestartOnFailure:
		if err == nil {
			return
		}
	default:
		return
	}
	delay := p.spec.RestartDelay
	if delay <= 0 {
		delay = DefaultRestartDelay
	}
	delay = min(delay<<min(p.crashes, 16), maxRestartDelay)
	p.crashes++
	why := fmt.Sprintf("restart after %v, crash %d:", err, p.crashes)
	if err == nil {
		why = fmt.Sprintf("restart after exit 0, %d:", p.crashes)
	}
	p.timer = time.AfterFunc(delay, func() { p.autoStart(cmd, why) })
}

// autoStart runs an automatic restart unless something happened since it
// was scheduled (an explicit Start, Shutdown).
func (p *Process) autoStart(prev *exec.Cmd, why string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != prev || p.shutdown {
		return
	}
	if err := p.startLocked(why); err != nil {
		p.err = fmt.Errorf("automatic restart: %w", err)
	}
}

// cancelRestartLocked drops a scheduled automatic restart.
func (p *Process) cancelRestartLocked() {
	if p.timer != nil {
		p.timer.Stop()
		p.timer = nil
	}
}

// Shutdown ends supervision for good: no more automatic restarts, and the
// running incarnation is terminated as by Terminate. An explicit Start
// afterwards is still allowed but will not be restarted automatically.
func (p *Process) Shutdown(ctx context.Context, grace time.Duration) error {
	p.mu.Lock()
	p.shutdown = true
	p.cancelRestartLocked()
	p.mu.Unlock()
	return p.Terminate(ctx, grace)
}
