package faults

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Repeat makes a timed fault periodic: Count cycles of inject/recover, each
// starting Every after the previous one (link flapping).
type Repeat struct {
	Count int
	Every time.Duration
}

// Timed is one fault on the run's timeline.
type Timed struct {
	Fault Fault
	// Kind and Node label the events; they are not interpreted.
	Kind Kind
	Node string
	// At is the inject time, as an offset from the run's start.
	At time.Duration
	// Duration is how long the fault lasts; 0 recovers right after Inject
	// (a kill whose restart is immediate, a restart with no downtime).
	Duration time.Duration
	// Repeat, when Count > 1, repeats the cycle.
	Repeat Repeat
	// Delays, when set, starts cycle i Delays[i] later than planned
	// (randomised fault timing, drawn by the caller from its seed).
	Delays []time.Duration
}

// planned is when the timeline puts phase ph of cycle.
func (t Timed) planned(cycle int, ph Phase) time.Duration {
	at := t.At + time.Duration(cycle)*t.Repeat.Every
	if cycle < len(t.Delays) {
		at += t.Delays[cycle]
	}
	if ph == PhaseRecover {
		at += t.Duration
	}
	return at
}

// MaxRepeat bounds Repeat.Count, as the scenario validator does.
const MaxRepeat = 10000

// DefaultRecoverTimeout bounds the recovery of a fault after the run was
// cancelled or failed.
const DefaultRecoverTimeout = 30 * time.Second

// recoverAttempts bounds the retries of a failing recovery on exit, and
// recoverBackoff spaces them, giving a transient cause (a busy nft lock, a
// port still held) time to clear.
const (
	recoverAttempts = 3
	recoverBackoff  = 100 * time.Millisecond
)

// Schedule fires faults on a run's timeline and logs every inject and
// recover as an Event on the run's clock. Whatever happens (the timeline
// completes, the context is cancelled, a fault fails) every fault it injected
// has been recovered, or a recovery error reported, when Run returns.
type Schedule struct {
	start          time.Time
	items          []Timed
	onEvent        func(Event)
	recoverTimeout time.Duration
	effectTimeout  time.Duration

	ran atomic.Bool

	mu     sync.Mutex
	events []Event
}

// Option configures a Schedule.
type Option func(*Schedule)

// WithProgress calls fn with each event as it is logged, for a live progress
// line. Calls are serialised; fn must not block for long, it holds up the
// fault that produced the event.
func WithProgress(fn func(Event)) Option { return func(s *Schedule) { s.onEvent = fn } }

// WithRecoverTimeout bounds the recovery attempts made after the run's
// context is cancelled or a fault fails (default DefaultRecoverTimeout).
func WithRecoverTimeout(d time.Duration) Option {
	return func(s *Schedule) { s.recoverTimeout = d }
}

// NewSchedule checks the timeline and returns its schedule. start is the
// run's clock origin: take it from time.Now so offsets use the monotonic
// clock, and use the same value for every other timestamp of the run.
func NewSchedule(start time.Time, items []Timed, opts ...Option) (*Schedule, error) {
	s := &Schedule{start: start, items: slices.Clone(items), recoverTimeout: DefaultRecoverTimeout, effectTimeout: DefaultEffectTimeout}
	for _, o := range opts {
		o(s)
	}
	if s.recoverTimeout <= 0 {
		return nil, fmt.Errorf("recover timeout %s: want > 0", s.recoverTimeout)
	}
	if s.effectTimeout <= 0 {
		return nil, fmt.Errorf("effect timeout %s: want > 0", s.effectTimeout)
	}
	var errs []error
	for i, it := range s.items {
		if err := checkTimed(it); err != nil {
			errs = append(errs, fmt.Errorf("fault %d (%s %s): %w", i, it.Kind, it.Node, err))
		}
	}
	return s, errors.Join(errs...)
}

func checkTimed(it Timed) error {
	switch {
	case it.Fault == nil:
		return errors.New("no fault")
	case it.At < 0:
		return fmt.Errorf("at %s: want >= 0", it.At)
	case it.Duration < 0:
		return fmt.Errorf("duration %s: want >= 0", it.Duration)
	case it.Repeat.Count < 0 || it.Repeat.Count > MaxRepeat:
		return fmt.Errorf("repeat count %d: want 0..%d", it.Repeat.Count, MaxRepeat)
	case it.Repeat.Count > 1 && it.Repeat.Every <= it.Duration:
		return fmt.Errorf("repeat every %s must be longer than the duration %s", it.Repeat.Every, it.Duration)
	}
	for i, d := range it.Delays {
		switch {
		case d < 0:
			return fmt.Errorf("delay of cycle %d %s: want >= 0", i, d)
		case it.Repeat.Count > 1 && it.Repeat.Every <= it.Duration+d:
			return fmt.Errorf("delay of cycle %d %s: the cycle would overlap the next (every %s, duration %s)", i, d, it.Repeat.Every, it.Duration)
		}
	}
	return nil
}

// Available checks every fault's prerequisites and reports all that are
// missing at once, each naming its fault.
func (s *Schedule) Available() error {
	var errs []error
	for _, it := range s.items {
		if err := it.Fault.Available(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", it.Fault.Describe(), err))
		}
	}
	return errors.Join(errs...)
}

// Run checks Available, then fires the timeline and returns when every
// fault has completed its cycles, or early when ctx is cancelled or a fault
// fails to inject or recover (the others are then recovered at once). It
// returns the event log ordered by time, and the errors met, including
// ctx's error when the run was cut short. A Schedule runs once.
func (s *Schedule) Run(ctx context.Context) ([]Event, error) {
	if s.ran.Swap(true) {
		return nil, errors.New("schedule already run")
	}
	if err := s.Available(); err != nil {
		return nil, fmt.Errorf("faults not available, nothing injected: %w", err)
	}
	runCtx, abort := context.WithCancel(ctx)
	defer abort()
	errs := make([]error, len(s.items))
	var wg sync.WaitGroup
	for i, it := range s.items {
		wg.Go(func() {
			errs[i] = s.runTimed(runCtx, indexed{it, i})
			if errs[i] != nil {
				abort()
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return s.Events(), errors.Join(errs...)
}

// Events returns a copy of the events logged so far, ordered by time.
func (s *Schedule) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.events)
	slices.SortStableFunc(out, func(a, b Event) int { return cmp.Compare(a.At, b.At) })
	return out
}

// indexed is a timeline fault with its position in the timeline, which
// its events carry to tell it from another fault of the same description.
type indexed struct {
	Timed
	index int
}

// runTimed runs one fault's cycles, and on any exit recovers it if needed.
func (s *Schedule) runTimed(ctx context.Context, it indexed) (err error) {
	lc := NewLifecycle(it.Fault)
	cycle := 0
	defer func() {
		if lc.NeedsRecovery() {
			err = errors.Join(err, s.recoverOnExit(ctx, lc, it, cycle))
		}
	}()
	for ; cycle < max(it.Repeat.Count, 1); cycle++ {
		if !s.sleepUntil(ctx, it.planned(cycle, PhaseInject), false) {
			return nil
		}
		injected, err := s.apply(ctx, lc, it, cycle, PhaseInject)
		if err != nil {
			return err
		}
		// The fault lasts Duration from when its inject was logged, not
		// from when it was planned: failover_time counts from the logged
		// inject, so a late inject must not shorten the fault it reads.
		if !s.sleepUntil(ctx, max(it.planned(cycle, PhaseRecover), injected+it.Duration), true) {
			return nil
		}
		if _, err := s.apply(ctx, lc, it, cycle, PhaseRecover); err != nil {
			return err
		}
	}
	return nil
}

// recoverOnExit recovers a fault left injected (or broken) with a fresh
// context, since the run's own may be cancelled, retrying a few times.
func (s *Schedule) recoverOnExit(ctx context.Context, lc *Lifecycle, it indexed, cycle int) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.recoverTimeout)
	defer cancel()
	var err error
	for i := range recoverAttempts {
		if i > 0 && !sleepCtx(rctx, time.Duration(i)*recoverBackoff) {
			break
		}
		if _, err = s.apply(rctx, lc, it, cycle, PhaseRecover); err == nil {
			return nil
		}
	}
	return err
}

// apply runs one phase and logs it; an inject that succeeded is checked
// for its effect before the event is logged, so the event carries both.
// It returns the phase's logged time.
func (s *Schedule) apply(ctx context.Context, lc *Lifecycle, it indexed, cycle int, ph Phase) (time.Duration, error) {
	at := time.Since(s.start)
	var err error
	if ph == PhaseInject {
		err = lc.Inject(ctx)
	} else {
		err = lc.Recover(ctx)
	}
	ev := Event{Fault: it.Fault.Describe(), Kind: it.Kind, Node: it.Node, Phase: ph, Index: it.index,
		Cycle: cycle, At: at, Planned: it.planned(cycle, ph), Took: time.Since(s.start) - at}
	if et, ok := it.Fault.(EngineTimer); ok && err == nil {
		if t, bound, ok := et.EngineAt(ph); ok {
			d := t.Sub(s.start)
			ev.EngineAt, ev.EngineErrorNs = &d, bound
		}
	}
	if err != nil {
		err = fmt.Errorf("%s %s: %w", ph, ev.Fault, err)
		ev.Err = err.Error()
	} else if ph == PhaseInject {
		ev.Effect, err = s.checkEffect(ctx, it.Fault)
		if err != nil {
			err = fmt.Errorf("%s %s (cycle %d): %w", ph, ev.Fault, cycle, err)
		}
	}
	s.log(ev)
	return at, err
}

func (s *Schedule) log(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	if s.onEvent != nil {
		s.onEvent(ev)
	}
}

// spinBefore is how early sleepUntil stops sleeping to watch the clock
// instead. Go's timers fire up to a millisecond late and more on a busy
// machine (an idle runtime waits in epoll, whose timeout is whole
// milliseconds, rounded up); a recover that late lengthens the fault, and
// a calibrated 1 s pause read 1.001-1.004 s.
const spinBefore = 2 * time.Millisecond

// sleepUntil waits until offset d of the run clock, reporting false when ctx
// ends first. It sleeps until spinBefore ahead, then polls the clock
// (yielding between polls), so a phase fires within microseconds of d.
//
// Only a recover watches the clock (precise): it ends a fault's duration,
// which a calibrated pause reads to the millisecond, and the fault it ends
// has stalled the I/O anyway. Before an inject the I/O is running, and a
// spinning core starves it: on two CPUs the host completed nothing in the
// last 2 ms before the inject, so the stall seemed to start before the
// fault and was not attributed to it. An inject a timer's slack late
// changes no measurement, which counts from the logged inject.
func (s *Schedule) sleepUntil(ctx context.Context, d time.Duration, precise bool) bool {
	deadline := s.start.Add(d)
	if !precise {
		return sleepCtx(ctx, time.Until(deadline))
	}
	if !sleepCtx(ctx, time.Until(deadline)-spinBefore) {
		return false
	}
	// Bounded: the timer above left at most spinBefore to go.
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return false
		}
		runtime.Gosched()
	}
	return ctx.Err() == nil
}

// sleepCtx waits for d, reporting false when ctx ends first.
func sleepCtx(ctx context.Context, wait time.Duration) bool {
	if wait <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
