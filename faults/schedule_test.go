package faults

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFault records its calls and can fail or block on demand. It reports
// whether the failure is currently applied, so a test can check that
// nothing is left behind.
type fakeFault struct {
	name       string
	unavail    error
	injectHook func(ctx context.Context) error // runs inside Inject
	failRecov  int                             // fail this many Recovers
	ctxRecover bool                            // fail Recover when its ctx is done

	mu      sync.Mutex
	applied bool
	calls   []string
}

func (f *fakeFault) Available() error { return f.unavail }
func (f *fakeFault) Describe() string { return "fake " + f.name }

func (f *fakeFault) Inject(ctx context.Context) error {
	f.mu.Lock()
	f.applied = true
	f.calls = append(f.calls, "inject")
	f.mu.Unlock()
	if f.injectHook != nil {
		return f.injectHook(ctx)
	}
	return nil
}

func (f *fakeFault) Recover(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "recover")
	if f.ctxRecover && ctx.Err() != nil {
		return ctx.Err()
	}
	if f.failRecov > 0 {
		f.failRecov--
		return errors.New("recover refused")
	}
	f.applied = false
	return nil
}

func (f *fakeFault) state() (bool, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied, append([]string(nil), f.calls...)
}

func runSchedule(t *testing.T, ctx context.Context, items []Timed, opts ...Option) ([]Event, error) {
	t.Helper()
	s, err := NewSchedule(time.Now(), items, opts...)
	if err != nil {
		t.Fatalf("NewSchedule: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second) // bounds a hung test
	defer cancel()
	return s.Run(ctx)
}

// phases lists one fault's event phases in order.
func phases(evs []Event, fault string) string {
	var out []string
	for _, e := range evs {
		if e.Fault == fault {
			out = append(out, fmt.Sprintf("%s%d", e.Phase, e.Cycle))
		}
	}
	return strings.Join(out, " ")
}

func TestScheduleTimelineOrder(t *testing.T) {
	a, b := &fakeFault{name: "a"}, &fakeFault{name: "b"}
	var live []Event
	evs, err := runSchedule(t, context.Background(), []Timed{
		{Fault: a, Kind: "process-kill", Node: "n1", At: 5 * time.Millisecond, Duration: 10 * time.Millisecond},
		{Fault: b, Kind: "network-partition", Node: "n2", Duration: 2 * time.Millisecond,
			Repeat: Repeat{Count: 3, Every: 5 * time.Millisecond}},
	}, WithProgress(func(e Event) { live = append(live, e) }))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got, want := phases(evs, "fake a"), "inject0 recover0"; got != want {
		t.Errorf("a: %s, want %s", got, want)
	}
	if got, want := phases(evs, "fake b"), "inject0 recover0 inject1 recover1 inject2 recover2"; got != want {
		t.Errorf("b: %s, want %s", got, want)
	}
	if len(live) != len(evs) {
		t.Errorf("progress saw %d events, Run returned %d", len(live), len(evs))
	}
	for i, e := range evs {
		if i > 0 && e.At < evs[i-1].At {
			t.Errorf("events not ordered by time: %v after %v", e, evs[i-1])
		}
		if e.Err != "" || e.Kind == "" || e.Node == "" {
			t.Errorf("event %+v: want a labelled event without error", e)
		}
		if e.At < e.Planned {
			t.Errorf("event %+v happened before its planned %s", e, e.Planned)
		}
	}
	// Planned is the timeline's time, whatever the scheduler's delay.
	planned := map[string][]time.Duration{}
	for _, e := range evs {
		planned[e.Fault] = append(planned[e.Fault], e.Planned)
	}
	ms := time.Millisecond
	for f, want := range map[string][]time.Duration{"fake a": {5 * ms, 15 * ms}, "fake b": {0, 2 * ms, 5 * ms, 7 * ms, 10 * ms, 12 * ms}} {
		if !slices.Equal(planned[f], want) {
			t.Errorf("%s planned at %v, want %v", f, planned[f], want)
		}
	}
	// Timers never fire early, so the offsets are lower bounds.
	if evs[0].Fault == "fake a" && evs[0].At < 5*time.Millisecond {
		t.Errorf("a injected at %s, before its 5ms", evs[0].At)
	}
	assertRecovered(t, a, b)
}

// TestScheduleEventsNameTheirFiring is issue 18's first bug at its source:
// two faults alike (one kind, one node, the same description) must still
// be told apart in the log, by their index in the timeline and cycle.
func TestScheduleEventsNameTheirFiring(t *testing.T) {
	ms := time.Millisecond
	first, second := &fakeFault{name: "pause"}, &fakeFault{name: "pause"}
	evs, err := runSchedule(t, context.Background(), []Timed{
		{Fault: first, Kind: "process-pause", Node: "n1", Duration: 2 * ms, Repeat: Repeat{Count: 2, Every: 5 * ms}},
		{Fault: second, Kind: "process-pause", Node: "n1", At: 20 * ms, Duration: 2 * ms},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%d.%d %s", e.Index, e.Cycle, e.Phase))
	}
	want := []string{"0.0 inject", "0.0 recover", "0.1 inject", "0.1 recover", "1.0 inject", "1.0 recover"}
	if !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	assertRecovered(t, first, second)
}

// TestScheduleDelays: each cycle starts its own delay late, keeps its
// duration, and the delayed times are what the events call planned.
func TestScheduleDelays(t *testing.T) {
	ms := time.Millisecond
	f := &fakeFault{name: "f"}
	evs, err := runSchedule(t, context.Background(), []Timed{{Fault: f, At: 2 * ms, Duration: 3 * ms,
		Repeat: Repeat{Count: 3, Every: 10 * ms}, Delays: []time.Duration{4 * ms, 0, 6 * ms}}})
	if err != nil {
		t.Fatal(err)
	}
	var planned []time.Duration
	for _, e := range evs {
		planned = append(planned, e.Planned)
		if e.At < e.Planned {
			t.Errorf("%s%d at %s, before its planned %s", e.Phase, e.Cycle, e.At, e.Planned)
		}
	}
	if want := []time.Duration{6 * ms, 9 * ms, 12 * ms, 15 * ms, 28 * ms, 31 * ms}; !slices.Equal(planned, want) {
		t.Errorf("planned %v, want %v", planned, want)
	}
	assertRecovered(t, f)
}

func assertRecovered(t *testing.T, fs ...*fakeFault) {
	t.Helper()
	for _, f := range fs {
		if applied, calls := f.state(); applied {
			t.Errorf("%s left applied; calls %v", f.name, calls)
		}
	}
}

// TestScheduleCancelMidFaultRecovers is Ctrl-C while a fault is in effect:
// the fault is recovered with a fresh context, not the cancelled one.
func TestScheduleCancelMidFaultRecovers(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeFault{name: "long", ctxRecover: true}
	later := &fakeFault{name: "later"}
	evs, err := runSchedule(t, ctx, []Timed{
		{Fault: f, Duration: time.Hour},
		{Fault: later, At: time.Hour, Duration: time.Second},
	}, WithProgress(func(e Event) {
		if e.Phase == PhaseInject {
			cancel()
		}
	}))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run error %v, want context.Canceled", err)
	}
	if got, want := phases(evs, "fake long"), "inject0 recover0"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	if _, calls := later.state(); len(calls) != 0 {
		t.Errorf("a fault after the cancel was called: %v", calls)
	}
	assertRecovered(t, f)
}

// TestScheduleInjectErrorAbortsAndRecoversAll: one fault failing to inject
// stops the run, and every fault, the failed one included, is recovered.
func TestScheduleInjectErrorAbortsAndRecoversAll(t *testing.T) {
	injected := make(chan struct{})
	ok := &fakeFault{name: "ok", injectHook: func(context.Context) error { close(injected); return nil }}
	bad := &fakeFault{name: "bad", injectHook: func(ctx context.Context) error {
		select { // fail only once the other fault is in effect
		case <-injected:
		case <-ctx.Done():
		}
		return errors.New("nft: permission denied")
	}}
	evs, err := runSchedule(t, context.Background(), []Timed{
		{Fault: ok, Duration: time.Hour},
		{Fault: bad, Duration: time.Hour},
	})
	if err == nil || !strings.Contains(err.Error(), "inject fake bad: nft: permission denied") {
		t.Errorf("Run error %v, want the inject failure naming the fault", err)
	}
	if got, want := phases(evs, "fake ok"), "inject0 recover0"; got != want {
		t.Errorf("ok: %s, want %s", got, want)
	}
	if got, want := phases(evs, "fake bad"), "inject0 recover0"; got != want {
		t.Errorf("bad: %s, want %s", got, want)
	}
	assertRecovered(t, ok, bad)
}

// TestScheduleRecoverRetried: a recovery that fails is retried on exit, a
// bounded number of times, and the error is reported.
func TestScheduleRecoverRetried(t *testing.T) {
	flaky := &fakeFault{name: "flaky", failRecov: 1}
	evs, err := runSchedule(t, context.Background(), []Timed{{Fault: flaky}})
	if err == nil {
		t.Error("Run: no error for a failed recovery")
	}
	if got, want := phases(evs, "fake flaky"), "inject0 recover0 recover0"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	assertRecovered(t, flaky)

	stuck := &fakeFault{name: "stuck", failRecov: 100}
	_, err = runSchedule(t, context.Background(), []Timed{{Fault: stuck}})
	if err == nil || !strings.Contains(err.Error(), "recover refused") {
		t.Errorf("Run error %v, want the recovery failure", err)
	}
	if _, calls := stuck.state(); len(calls) != 1+1+recoverAttempts {
		t.Errorf("calls %v: want inject, recover and %d retries", calls, recoverAttempts)
	}
}

func TestScheduleUnavailableInjectsNothing(t *testing.T) {
	ok := &fakeFault{name: "ok"}
	missing := &fakeFault{name: "missing", unavail: errors.New("needs root")}
	evs, err := runSchedule(t, context.Background(), []Timed{{Fault: ok}, {Fault: missing}})
	if err == nil || !strings.Contains(err.Error(), "fake missing: needs root") {
		t.Errorf("Run error %v, want the missing prerequisite named", err)
	}
	if _, calls := ok.state(); len(evs) != 0 || len(calls) != 0 {
		t.Errorf("events %v, calls %v: want nothing injected", evs, calls)
	}
}

func TestNewScheduleRejects(t *testing.T) {
	f := &fakeFault{name: "f"}
	for _, tc := range []struct {
		name string
		it   Timed
		want string
	}{
		{"nil fault", Timed{}, "no fault"},
		{"negative at", Timed{Fault: f, At: -1}, "at -1ns"},
		{"negative duration", Timed{Fault: f, Duration: -1}, "duration -1ns"},
		{"huge repeat", Timed{Fault: f, Repeat: Repeat{Count: MaxRepeat + 1, Every: time.Second}}, "repeat count"},
		{"overlapping repeat", Timed{Fault: f, Duration: time.Second, Repeat: Repeat{Count: 2, Every: time.Second}}, "must be longer"},
		{"negative delay", Timed{Fault: f, Delays: []time.Duration{-1}}, "delay of cycle 0 -1ns"},
		{"delay overlapping the next cycle", Timed{Fault: f, Duration: time.Second,
			Repeat: Repeat{Count: 2, Every: 2 * time.Second}, Delays: []time.Duration{0, time.Second}}, "would overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSchedule(time.Now(), []Timed{tc.it})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want it to mention %q", err, tc.want)
			}
		})
	}
	if _, err := NewSchedule(time.Now(), nil, WithRecoverTimeout(0)); err == nil {
		t.Error("zero recover timeout accepted")
	}
}

func TestScheduleRunsOnce(t *testing.T) {
	s, err := NewSchedule(time.Now(), []Timed{{Fault: &fakeFault{name: "f"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background()); err == nil {
		t.Error("second Run accepted")
	}
}

// TestScheduleRecoverTimeoutBoundsRetries: retries stop at the recover
// timeout even when attempts remain.
func TestScheduleRecoverTimeoutBoundsRetries(t *testing.T) {
	stuck := &fakeFault{name: "stuck", failRecov: 100}
	_, err := runSchedule(t, context.Background(), []Timed{{Fault: stuck}}, WithRecoverTimeout(time.Millisecond))
	if err == nil {
		t.Fatal("no error for a recovery that never succeeds")
	}
	// The scheduled recover fails, the first exit attempt runs at once,
	// and the backoff before the second outlasts the timeout.
	if _, calls := stuck.state(); len(calls) != 3 {
		t.Errorf("calls %v: want inject, the scheduled recover and one exit attempt", calls)
	}
}

// timedFault says its effect came at a time of its own, as a Chaos Mesh
// controller's record does.
type timedFault struct {
	fakeFault
	offset time.Duration // effect this long after the call started
	start  time.Time
}

func (f *timedFault) Inject(ctx context.Context) error {
	f.start = time.Now()
	return f.fakeFault.Inject(ctx)
}

func (f *timedFault) EngineAt(ph Phase) (time.Time, time.Duration, bool) {
	if ph == PhaseRecover {
		return time.Time{}, 0, false
	}
	return f.start.Add(f.offset), time.Second, true
}

// The engine's own effect time lands on the run clock beside At, with its
// error bound; a phase it cannot time carries none.
func TestScheduleRecordsTheEnginesEffectTime(t *testing.T) {
	f := &timedFault{fakeFault: fakeFault{name: "chaos"}, offset: 300 * time.Millisecond}
	evs, err := runSchedule(t, context.Background(), []Timed{{Fault: f, Kind: "process-kill", Node: "n1", Duration: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("%d events, want 2", len(evs))
	}
	in, out := evs[0], evs[1]
	if in.EngineAt == nil {
		t.Fatal("the inject event has no effect time")
	}
	if d := *in.EngineAt - in.At; d < 300*time.Millisecond || d > 350*time.Millisecond {
		t.Errorf("effect %v after the call, want 300ms (within the call's own start jitter)", d)
	}
	if in.EngineErrorNs != time.Second {
		t.Errorf("error bound %v, want 1s", in.EngineErrorNs)
	}
	if out.EngineAt != nil {
		t.Errorf("the recover event has an effect time %v it was never given", *out.EngineAt)
	}
}

// TestScheduleFaultLastsItsDuration: a fault stays injected for at least
// its Duration counted from its logged inject, which failover_time counts
// from, even when the inject fires late (the run clock started before the
// schedule did, as when a slow setup delays it): a calibrated pause must
// not read short.
func TestScheduleFaultLastsItsDuration(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		name string
		late time.Duration // how long before Run the clock started
		at   time.Duration
	}{
		{"on time", 0, 5 * ms},
		{"inject late", 30 * ms, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const dur = 50 * time.Millisecond
			f := &fakeFault{name: "f"}
			s, err := NewSchedule(time.Now().Add(-tc.late), []Timed{{Fault: f, At: tc.at, Duration: dur}})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			evs, err := s.Run(ctx)
			if err != nil || len(evs) != 2 {
				t.Fatalf("Run: %d events, %v", len(evs), err)
			}
			if got := evs[1].At - evs[0].At; got < dur {
				t.Errorf("fault lasted %s from its logged inject, want at least %s", got, dur)
			}
			assertRecovered(t, f)
		})
	}
}
