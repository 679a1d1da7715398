package reports

import (
	"strings"
	"testing"
)

// ev is a fault event of a test record; firing, when set, names the
// timeline fault index and cycle.
func ev(fault int, firing *Firing, phase FaultPhase, at int64) FaultEvent {
	return FaultEvent{Fault: fault, Firing: firing, Kind: "process-pause", Node: "tgt-a", Phase: phase, AtNs: at}
}

// failed marks a fault event as an injector error.
func failed(e FaultEvent) FaultEvent {
	e.Err = "nft: resource busy"
	return e
}

// TestPairFaultsByFiring is issue 18's first bug on the record: inject and
// recover pair on the firing (timeline index, cycle) where the record
// names one, and on the fault number in older records that do not. Two
// firings of one kind on one node are two faults, each with its own
// inject and recover.
func TestPairFaultsByFiring(t *testing.T) {
	a, b := &Firing{Index: 0, Cycle: 0}, &Firing{Index: 1, Cycle: 0}
	a1 := &Firing{Index: 0, Cycle: 1}
	type span struct {
		fault, inject, recover int64
		failed                 bool // the injector's error is reported
	}
	for _, tc := range []struct {
		name string
		evs  []FaultEvent
		want []span
	}{
		{name: "two faults alike",
			evs:  []FaultEvent{ev(1, a, FaultInject, 10e9), ev(1, a, FaultRecover, 11e9), ev(2, b, FaultInject, 20e9), ev(2, b, FaultRecover, 21e9)},
			want: []span{{1, 10e9, 11e9, false}, {2, 20e9, 21e9, false}}},
		{name: "repeated, recovers out of order",
			evs: []FaultEvent{ev(1, a, FaultInject, 10e9), ev(2, b, FaultInject, 12e9), ev(1, a, FaultRecover, 13e9),
				ev(3, a1, FaultInject, 14e9), ev(2, b, FaultRecover, 15e9), ev(3, a1, FaultRecover, 16e9)},
			want: []span{{1, 10e9, 13e9, false}, {2, 12e9, 15e9, false}, {3, 14e9, 16e9, false}}},
		{name: "a failed recovery retried", // Schedule's recoverOnExit
			evs: []FaultEvent{ev(1, a, FaultInject, 10e9), failed(ev(1, a, FaultRecover, 11e9)), failed(ev(1, a, FaultRecover, 12e9)),
				ev(1, a, FaultRecover, 13e9)},
			want: []span{{1, 10e9, 13e9, true}}},
		{name: "older record pairs on the fault number",
			evs:  []FaultEvent{ev(1, nil, FaultInject, 10e9), ev(2, nil, FaultInject, 12e9), ev(2, nil, FaultRecover, 13e9), ev(1, nil, FaultRecover, 14e9)},
			want: []span{{1, 10e9, 14e9, false}, {2, 12e9, 13e9, false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := synth(t, fixture{name: "firing"})
			r.Faults = tc.evs
			m, err := Compute(r, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []span
			for _, f := range m.Overall.Faults {
				got = append(got, span{int64(f.Fault), f.InjectNs, f.RecoverNs, f.Err != ""})
			}
			if len(got) != len(tc.want) {
				t.Fatalf("faults %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("fault %d: (number, inject, recover, failed) %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestValidateFaultFirings: a record whose events cannot be paired
// unambiguously is refused, naming what is wrong.
func TestValidateFaultFirings(t *testing.T) {
	a, b := &Firing{Index: 0, Cycle: 0}, &Firing{Index: 1, Cycle: 0}
	for _, tc := range []struct {
		name string
		evs  []FaultEvent
		want string
	}{
		{name: "firing injected twice",
			evs:  []FaultEvent{ev(1, a, FaultInject, 1e9), ev(2, a, FaultInject, 2e9)},
			want: "faults[1]: timeline fault 0 cycle 0 injected twice"},
		{name: "older record, number injected twice",
			evs:  []FaultEvent{ev(1, nil, FaultInject, 1e9), ev(1, nil, FaultInject, 2e9)},
			want: "faults[1]: fault 1 injected twice"},
		{name: "two firings under one number",
			evs:  []FaultEvent{ev(1, a, FaultInject, 1e9), ev(1, b, FaultInject, 2e9)},
			want: "faults[1]: timeline fault 1 cycle 0 has fault number 1, already timeline fault 0 cycle 0's"},
		{name: "recover under another number",
			evs:  []FaultEvent{ev(1, a, FaultInject, 1e9), ev(2, a, FaultRecover, 2e9)},
			want: "faults[1]: timeline fault 0 cycle 0 recovered as fault 2, injected as fault 1"},
		{name: "recovered again after a recovery that worked",
			evs:  []FaultEvent{ev(1, a, FaultInject, 1e9), ev(1, a, FaultRecover, 2e9), ev(1, a, FaultRecover, 3e9)},
			want: "faults[2]: timeline fault 0 cycle 0 recovered twice"},
		{name: "recover of a firing never injected",
			evs:  []FaultEvent{ev(1, a, FaultInject, 1e9), ev(1, b, FaultRecover, 2e9)},
			want: "faults[1]: timeline fault 1 cycle 0 recovered but never injected"},
		{name: "firing on some events only",
			evs:  []FaultEvent{ev(1, a, FaultInject, 1e9), ev(1, nil, FaultRecover, 2e9)},
			want: "a record names firings on every fault event or on none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := synth(t, fixture{name: "firing"})
			r.Faults = tc.evs
			err := r.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
