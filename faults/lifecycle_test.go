package faults

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"
)

// noopFault does nothing but checks that it is only ever called in a legal
// order, failing on demand.
type noopFault struct {
	failNext  bool
	lastOK    string // "", "inject", "recover": the last call and whether it succeeded
	violation string
}

var errInjected = errors.New("injected failure")

func (f *noopFault) Available() error { return nil }
func (f *noopFault) Describe() string { return "noop" }

func (f *noopFault) Inject(context.Context) error {
	// Legal only on a fresh fault or after a successful Recover.
	if f.lastOK != "" && f.lastOK != "recover-ok" {
		f.violation = "inject after " + f.lastOK
	}
	return f.result("inject")
}

func (f *noopFault) Recover(context.Context) error {
	// Legal after any Inject or after a failed Recover.
	if f.lastOK == "" || f.lastOK == "recover-ok" {
		f.violation = "recover after " + f.lastOK
	}
	return f.result("recover")
}

func (f *noopFault) result(op string) error {
	fail := f.failNext
	f.failNext = false
	if fail {
		f.lastOK = op + "-err"
		return errInjected
	}
	f.lastOK = op + "-ok"
	return nil
}

// TestLifecycleRandomised drives a Lifecycle with random calls and random
// failures against a model of the state machine.
func TestLifecycleRandomised(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	ctx := context.Background()
	for run := range 50 {
		f := &noopFault{}
		l := NewLifecycle(f)
		model := Idle
		for step := range 200 {
			f.failNext = rng.IntN(5) == 0
			fail := f.failNext
			var err error
			inject := rng.IntN(2) == 0
			if inject {
				err = l.Inject(ctx)
			} else {
				err = l.Recover(ctx)
			}
			want, wantErr := modelStep(model, inject, fail)
			if !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
				t.Fatalf("seed %d run %d step %d: from %v inject=%v fail=%v: err %v, want %v", seed, run, step, model, inject, fail, err, wantErr)
			}
			model = want
			if l.State() != model {
				t.Fatalf("seed %d run %d step %d: state %v, want %v", seed, run, step, l.State(), model)
			}
			if f.violation != "" {
				t.Fatalf("seed %d run %d step %d: fault saw an illegal call: %s", seed, run, step, f.violation)
			}
		}
	}
}

// modelStep is the transition table of Lifecycle: the next state and the
// error expected from a call.
func modelStep(s State, inject, fail bool) (State, error) {
	switch {
	case inject && s == Injected:
		return s, ErrAlreadyInjected
	case inject && s == Broken:
		return s, ErrBroken
	case !inject && s == Idle:
		return s, ErrNotInjected
	case fail:
		return Broken, errInjected
	case inject:
		return Injected, nil
	default:
		return Idle, nil
	}
}
