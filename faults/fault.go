package faults

import (
	"context"
	"time"
)

// Fault is one injectable failure bound to its target (a node's process, a
// node's network namespace, a volume's listener). The engines build them from
// a scenario's fault events; Schedule fires them on the run's timeline.
//
// A Fault is used through a single goroutine at a time: Schedule wraps each in
// a Lifecycle, which refuses out-of-order calls, so implementations only need
// to be correct for the legal sequence Inject, Recover, Inject, Recover…
type Fault interface {
	// Available reports what the fault needs and the machine lacks (root, a
	// binary such as nft or tc, a kernel feature), so a scenario is refused
	// before it starts instead of failing half-way. It changes nothing.
	Available() error
	// Inject applies the failure. When it returns an error the failure may be
	// partly applied: the caller must still call Recover.
	Inject(ctx context.Context) error
	// Recover undoes Inject and leaves the target as it was before. It is
	// called even after a failed Inject and must tolerate a half-applied
	// failure (a rule already gone, a process already running).
	Recover(ctx context.Context) error
	// Describe names the fault and its target in one line for logs and
	// reports, e.g. "process-kill tgt-a (pid 4242)".
	Describe() string
}

// EngineTimer is a fault whose effect is timed by someone else than the
// harness: a Chaos Mesh controller applies the chaos somewhere between
// the create call and the harness seeing it done, and records when. The
// schedule maps that onto the run clock beside the call's own times.
type EngineTimer interface {
	// EngineAt is when the last Inject (PhaseInject) or Recover took
	// effect, with the bound of its error; ok is false when unknown.
	EngineAt(ph Phase) (at time.Time, bound time.Duration, ok bool)
}
