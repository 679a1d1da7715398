package reports

import (
	"bytes"
	"strings"
	"testing"
)

// TestFinishRefusesAFiringWithoutEffect: a record whose fault did not
// take effect is never judged, so it can never pass; a confirmed or
// unchecked (older record) firing is judged as before.
func TestFinishRefusesAFiringWithoutEffect(t *testing.T) {
	f := &Firing{Index: 0, Cycle: 0}
	withEffect := func(e FaultEvent, eff *FaultEffect) FaultEvent { e.Effect = eff; return e }
	for _, tc := range []struct {
		name    string
		effect  *FaultEffect
		wantErr string
	}{
		{"unchecked", nil, ""},
		{"confirmed", &FaultEffect{TookNs: 1e6}, ""},
		{"no effect", &FaultEffect{TookNs: 5e9, Err: "pid 42 still running"}, "fault 1 (process-pause on tgt-a) did not take effect: pid 42 still running"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := synth(t, fixture{name: "effect"})
			r.Faults = []FaultEvent{withEffect(ev(1, f, FaultInject, 10e9), tc.effect), ev(1, f, FaultRecover, 11e9)}
			err := Finish(r, nil, Options{})
			if tc.wantErr == "" && err != nil {
				t.Fatalf("Finish: %v", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("Finish: %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestEffectSurvivesResultsJSON: the check is in results.json, and a
// record without it (older runs) reads back with none.
func TestEffectSurvivesResultsJSON(t *testing.T) {
	r := synth(t, fixture{name: "effect"})
	f := &Firing{}
	inject := ev(1, f, FaultInject, 10e9)
	inject.Effect = &FaultEffect{TookNs: 3e6}
	r.Faults = []FaultEvent{inject, ev(1, f, FaultRecover, 11e9)}
	var buf bytes.Buffer
	if err := r.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"effect":{"tookNs":3000000}`) {
		t.Errorf("results.json lacks the effect check:\n%.2000s", buf.String())
	}
	back, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if e := back.Faults[0].Effect; e == nil || e.TookNs != 3e6 || back.Faults[1].Effect != nil {
		t.Errorf("effects read back: %+v, %+v", back.Faults[0].Effect, back.Faults[1].Effect)
	}
}
