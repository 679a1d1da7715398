// Package poll is the project's one way to wait for a condition: a
// condition, an interval, a timeout, and on failure an error that names
// what was awaited and the last reason it was not yet true.
//
// e2e-framework's klient/wait polls Kubernetes objects; its errors do not
// say what was awaited, which is the one thing a user reading "timed out"
// needs. This package is for everything else the harness waits on.
package poll

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Defaults of Until.
const (
	DefaultInterval = 50 * time.Millisecond
	DefaultTimeout  = 10 * time.Second
)

// ErrTimeout is returned (wrapped) when the timeout ran out before the
// condition held.
var ErrTimeout = errors.New("timed out")

// Condition reports nil once what is awaited holds, or why it does not
// hold yet; Until calls it again after the interval. Wrap an error in
// Stop to end the wait at once (the process it waits on died).
type Condition func(ctx context.Context) error

// errNotYet is the reason a boolean condition gives for not holding.
var errNotYet = errors.New("not yet")

// Holds makes a Condition of a boolean check, for waits whose only news
// is yes or no.
func Holds(cond func() bool) Condition {
	return func(context.Context) error {
		if cond() {
			return nil
		}
		return errNotYet
	}
}

type stopErr struct{ err error }

func (s stopErr) Error() string { return s.err.Error() }
func (s stopErr) Unwrap() error { return s.err }

// Stop makes a Condition's error final: Until returns it without waiting
// longer.
func Stop(err error) error { return stopErr{err} }

type options struct {
	interval, timeout time.Duration
}

// Option configures Until.
type Option func(*options)

// Every sets the interval between two calls of the condition.
func Every(d time.Duration) Option { return func(o *options) { o.interval = d } }

// Within sets the timeout; 0 or less waits as long as ctx allows.
func Within(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Until calls cond at once and then every interval until it returns nil,
// returns a Stop error, the timeout runs out or ctx ends. what names the
// awaited thing in the error ("target tgt-a answering RPC"), which also
// carries the condition's last reason.
func Until(ctx context.Context, what string, cond Condition, opts ...Option) error {
	o := options{interval: DefaultInterval, timeout: DefaultTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, o.timeout, ErrTimeout)
		defer cancel()
	}
	t := time.NewTicker(max(o.interval, time.Millisecond))
	defer t.Stop()
	var last error // the last reason, from a call the deadline did not cut
	for {
		err := cond(ctx)
		var stop stopErr
		switch {
		case err == nil:
			return nil
		case errors.As(err, &stop):
			return fmt.Errorf("waiting for %s: %w", what, stop.err)
		case last == nil || ctx.Err() == nil:
			last = err
		}
		if ctx.Err() == nil { // a tick ready at once must not hide the end
			select {
			case <-ctx.Done():
			case <-t.C:
				continue
			}
		}
		if errors.Is(context.Cause(ctx), ErrTimeout) {
			return fmt.Errorf("waiting for %s: %w after %s (last: %w)", what, ErrTimeout, o.timeout, last)
		}
		return fmt.Errorf("waiting for %s: %w (last: %w)", what, ctx.Err(), last)
	}
}
