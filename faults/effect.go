package faults

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// EffectChecker is implemented by a Fault that can tell whether the failure
// it injected took hold: the process is stopped or gone, the rule is in the
// namespace, the listener is off. Without it an inject that "succeeded"
// but changed nothing would measure a 0 s failover and pass. It is
// optional, so every engine meets Fault first and adds a check when it
// can; the Schedule records a fault without one as unchecked.
// (CockroachDB's failure library calls this WaitForFailureToPropagate.)
type EffectChecker interface {
	// TookEffect returns nil once the failure the last successful Inject
	// applied is in force, or an error saying what is not. The Schedule
	// calls it right after that Inject with a context bounded by
	// WithEffectTimeout; it may poll until then for an effect that takes a
	// moment to show. It changes nothing.
	TookEffect(ctx context.Context) error
}

// ErrNoEffect marks a firing whose Inject returned nil but whose
// TookEffect check failed: the run cannot be judged, since the fault it
// measures did not happen.
var ErrNoEffect = errors.New("did not take effect")

// DefaultEffectTimeout bounds a took-effect check: every local effect
// shows within milliseconds, so seconds mean it never will.
const DefaultEffectTimeout = 5 * time.Second

// EffectCheck is what one firing's took-effect check found.
type EffectCheck struct {
	// Took is how long the check ran before it confirmed or gave up.
	Took time.Duration `json:"took_ns"`
	// Err says why the fault did not take effect; empty when it did.
	Err string `json:"err,omitempty"`
}

// WithEffectTimeout bounds each took-effect check (default
// DefaultEffectTimeout).
func WithEffectTimeout(d time.Duration) Option {
	return func(s *Schedule) { s.effectTimeout = d }
}

// checkEffect runs f's took-effect check, when it has one, after a
// successful inject. It returns nil and no error for a fault without one.
func (s *Schedule) checkEffect(ctx context.Context, f Fault) (*EffectCheck, error) {
	ec, ok := f.(EffectChecker)
	if !ok {
		return nil, nil
	}
	cctx, cancel := context.WithTimeout(ctx, s.effectTimeout)
	defer cancel()
	start := time.Now()
	err := ec.TookEffect(cctx)
	check := &EffectCheck{Took: time.Since(start)}
	if err == nil {
		return check, nil
	}
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("not seen within %s: %w", s.effectTimeout, err)
	}
	check.Err = err.Error()
	return check, fmt.Errorf("%w: %s", ErrNoEffect, check.Err)
}
