package faults

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// State is where a fault is in its lifecycle.
type State int

// The lifecycle states:
//
//	Idle ──Inject ok──► Injected ──Recover ok──► Idle
//	Idle ──Inject err─► Broken
//	Injected ──Recover err──► Broken
//	Broken ──Recover ok──► Idle   (Recover may be retried while Broken)
const (
	// Idle: nothing applied; Inject is allowed.
	Idle State = iota
	// Injected: the failure is in effect; only Recover is allowed.
	Injected
	// Broken: an Inject or Recover failed, the target is in an unknown
	// state; only Recover (a cleanup attempt) is allowed.
	Broken
)

func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Injected:
		return "injected"
	case Broken:
		return "broken"
	default:
		return fmt.Sprintf("State(%d)", int(s))
	}
}

// Sentinel errors of illegal lifecycle transitions.
var (
	// ErrNotInjected is returned by Recover on a fault that is not injected.
	ErrNotInjected = errors.New("fault is not injected")
	// ErrAlreadyInjected is returned by Inject on a fault already injected.
	ErrAlreadyInjected = errors.New("fault is already injected")
	// ErrBroken is returned by Inject after a failed Inject or Recover, until
	// a Recover succeeds.
	ErrBroken = errors.New("fault is in an unknown state after an error; recover it first")
)

// Lifecycle wraps a Fault and refuses illegal transitions (recover before
// inject, double inject, inject after a failure that was not cleaned up), so a
// fault implementation never sees them. It is safe for concurrent use: calls
// are serialised.
type Lifecycle struct {
	f     Fault
	mu    sync.Mutex
	state State
}

var _ Fault = (*Lifecycle)(nil)

// NewLifecycle wraps f, which starts Idle.
func NewLifecycle(f Fault) *Lifecycle { return &Lifecycle{f: f} }

// State returns the current state.
func (l *Lifecycle) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// NeedsRecovery reports whether the target may still carry the failure:
// after an Inject, or after any error, until a Recover succeeds.
func (l *Lifecycle) NeedsRecovery() bool { return l.State() != Idle }

// Available delegates to the wrapped fault.
func (l *Lifecycle) Available() error { return l.f.Available() }

// Describe delegates to the wrapped fault.
func (l *Lifecycle) Describe() string { return l.f.Describe() }

// Inject applies the fault if it is Idle.
func (l *Lifecycle) Inject(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state {
	case Injected:
		return fmt.Errorf("%s: %w", l.f.Describe(), ErrAlreadyInjected)
	case Broken:
		return fmt.Errorf("%s: %w", l.f.Describe(), ErrBroken)
	}
	if err := l.f.Inject(ctx); err != nil {
		l.state = Broken
		return err
	}
	l.state = Injected
	return nil
}

// Recover undoes the fault if it is Injected or Broken.
func (l *Lifecycle) Recover(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == Idle {
		return fmt.Errorf("%s: %w", l.f.Describe(), ErrNotInjected)
	}
	if err := l.f.Recover(ctx); err != nil {
		l.state = Broken
		return err
	}
	l.state = Idle
	return nil
}
