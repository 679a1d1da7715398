package faults

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// checkedFault is a fakeFault with a took-effect check whose answer the
// test chooses; it may take a moment to confirm, as a real effect does.
type checkedFault struct {
	fakeFault
	after time.Duration // confirm only after this long in the check
	never error         // when set, never confirm: the check's answer
}

func (f *checkedFault) TookEffect(ctx context.Context) error {
	if f.never != nil {
		return f.never
	}
	select {
	case <-time.After(f.after):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestScheduleChecksEffect: each firing of a fault with a check records
// what it found; a firing that did not take effect fails the schedule
// with the reason, and the fault is recovered all the same.
func TestScheduleChecksEffect(t *testing.T) {
	noEffect := errors.New("pid 42 is still running")
	tests := []struct {
		name    string
		fault   Fault
		wantErr string // empty: the schedule passes
		want    []*EffectCheck
	}{
		{"no check: recorded as unchecked", &fakeFault{name: "plain"}, "", []*EffectCheck{nil, nil}},
		{"confirmed on every firing", &checkedFault{fakeFault: fakeFault{name: "ok"}, after: 5 * time.Millisecond}, "",
			[]*EffectCheck{{}, {}}},
		{"no effect fails the run", &checkedFault{fakeFault: fakeFault{name: "dud"}, never: noEffect},
			"did not take effect: pid 42 is still running", []*EffectCheck{{Err: "pid 42 is still running"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items := []Timed{{Fault: tc.fault, Kind: "k", At: 10 * time.Millisecond, Duration: 20 * time.Millisecond,
				Repeat: Repeat{Count: 2, Every: 50 * time.Millisecond}}}
			evs, err := runSchedule(t, context.Background(), items)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Run: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, ErrNoEffect)) {
				t.Fatalf("Run: %v, want ErrNoEffect %q", err, tc.wantErr)
			}
			var got []*EffectCheck
			for _, e := range evs {
				if e.Phase == PhaseRecover {
					if e.Effect != nil {
						t.Errorf("recover event has an effect check: %+v", e.Effect)
					}
					continue
				}
				got = append(got, e.Effect)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d inject events, want %d: %+v", len(got), len(tc.want), evs)
			}
			for i := range got {
				if (got[i] == nil) != (tc.want[i] == nil) || (got[i] != nil && got[i].Err != tc.want[i].Err) {
					t.Errorf("firing %d: effect %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			var applied bool
			switch f := tc.fault.(type) {
			case *fakeFault:
				applied, _ = f.state()
			case *checkedFault:
				applied, _ = f.state()
			}
			if applied {
				t.Error("the fault was left injected")
			}
		})
	}
}

// TestEffectTimeoutBoundsTheCheck: a check that never confirms gives up
// at the effect timeout, and says it ran out of time.
func TestEffectTimeoutBoundsTheCheck(t *testing.T) {
	f := &checkedFault{fakeFault: fakeFault{name: "slow"}, after: time.Hour}
	items := []Timed{{Fault: f, Kind: "k", At: 0, Duration: 10 * time.Millisecond}}
	start := time.Now()
	_, err := runSchedule(t, context.Background(), items, WithEffectTimeout(30*time.Millisecond))
	if !errors.Is(err, ErrNoEffect) || !strings.Contains(err.Error(), "30ms") {
		t.Fatalf("Run: %v, want ErrNoEffect naming the 30ms it waited", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the check ran %s", took)
	}
}
