package scenarios

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func mustBuiltin(t *testing.T, name string) *Scenario {
	t.Helper()
	l, err := Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return l.Scenario
}

func TestScale(t *testing.T) {
	s, ms := time.Second, time.Millisecond
	type fault struct{ at, dur, every time.Duration }
	tests := []struct {
		name       string
		scenario   string
		to         time.Duration
		wantWarmup time.Duration
		want       []fault
	}{
		// 40s → 5s: at 15s → 1.875s is below the 2s baseline floor; the
		// 8s hang outlasted kato 1s so it keeps 2 × kato, not 1s.
		{"hang keeps 2×kato", "target-hang", 5 * s, 625 * ms, []fault{{2 * s, 2 * s, 0}}},
		// 40s → 20s is a plain halving: no floor binds.
		{"halving", "target-hang", 20 * s, 2500 * ms, []fault{{7500 * ms, 4 * s, 0}}},
		// Stretching doubles everything.
		{"stretch", "target-kill", 80 * s, 10 * s, []fault{{30 * s, 20 * s, 0}}},
		// Flapping: 1.5s partitions every 5s, five times. At 25s (×0.625)
		// the partition keeps 1.5s (it outlasts kato 1s, and 2×kato is
		// longer than it) and the 3.5s gap shrinks to 2.188s.
		{"flap keeps count", "link-flap", 25 * s, 3125 * ms, []fault{{6250 * ms, 1500 * ms, 3688 * ms}}},
		{"no faults", "baseline", 3 * s, 500 * ms, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := mustBuiltin(t, tc.scenario)
			if err := Scale(sc, tc.to, "builtin:"+tc.scenario); err != nil {
				t.Fatal(err)
			}
			if sc.Timeline.Duration.D() != tc.to || sc.Timeline.Warmup.D() != tc.wantWarmup {
				t.Errorf("timeline %s + warmup %s, want %s + %s", sc.Timeline.Duration, sc.Timeline.Warmup, tc.to, tc.wantWarmup)
			}
			if len(sc.Timeline.Faults) != len(tc.want) {
				t.Fatalf("%d faults, want %d", len(sc.Timeline.Faults), len(tc.want))
			}
			for i, w := range tc.want {
				f := sc.Timeline.Faults[i]
				got := fault{f.At.D(), f.Duration.D(), 0}
				if f.Repeat != nil {
					got.every = f.Repeat.Every.D()
					if f.Repeat.Count != 5 {
						t.Errorf("repeat count %d, want the original 5", f.Repeat.Count)
					}
				}
				if got != w {
					t.Errorf("fault %d = %+v, want %+v", i, got, w)
				}
				if end := faultEnd(f); end > tc.to {
					t.Errorf("fault %d ends at %s, past %s", i, end, tc.to)
				}
			}
		})
	}
}

// TestScaleRefusesWhatCannotFit: a floor that does not fit names the
// fault and the shortest duration that works, which then does work.
func TestScaleRefusesWhatCannotFit(t *testing.T) {
	sc := mustBuiltin(t, "link-flap")
	err := Scale(sc, 5*time.Second, "builtin:link-flap")
	if err == nil {
		t.Fatal("link-flap scaled to 5s: five 1.5s partitions cannot fit")
	}
	msg := err.Error()
	for _, want := range []string{"builtin:link-flap", "timeline.faults[0]", "shortest duration this scenario scales to is "} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if sc.Timeline.Duration.D() != 40*time.Second {
		t.Errorf("a refused Scale changed the scenario: duration %s", sc.Timeline.Duration)
	}
	shortest, err := time.ParseDuration(msg[strings.LastIndex(msg, " ")+1:])
	if err != nil {
		t.Fatal(err)
	}
	if err := Scale(sc, shortest, "builtin:link-flap"); err != nil {
		t.Errorf("the suggested %s does not fit: %v", shortest, err)
	}
	if err := Scale(sc, shortest-200*time.Millisecond, "builtin:link-flap"); err == nil {
		t.Errorf("%s is not the shortest: 200ms less fits too", shortest)
	}
}

// TestScaleEveryBuiltin: every built-in scenario scales to 10 s (CI smoke
// tests) and to twice its length, and validates after.
func TestScaleEveryBuiltin(t *testing.T) {
	bs, err := Builtins()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		for _, d := range []time.Duration{10 * time.Second, 2 * b.Scenario.Timeline.Duration.D()} {
			sc := mustBuiltin(t, b.Name)
			if err := Scale(sc, d, "builtin:"+b.Name); err != nil && !strings.Contains(err.Error(), "shortest duration") {
				t.Errorf("%s to %s: %v", b.Name, d, err)
			} else if err != nil {
				t.Logf("%s to %s: %v", b.Name, d, err)
			}
		}
	}
	if err := Scale(mustBuiltin(t, "baseline"), 0, "x"); err == nil {
		t.Error("Scale to 0 accepted")
	}
}

// TestScaleSweptFaultTimes: swept fault times shrink with the timeline,
// with the same floors, so every cell of a shortened sweep still fits.
func TestScaleSweptFaultTimes(t *testing.T) {
	sc := mustBuiltin(t, "target-hang") // 40 s, kato 1s, pause at 15s for 8s
	sc.Sweep = []SweepAxis{
		{Param: "faults[0].duration", Values: []string{"4s", "8s", "12s"}},
		{Param: "faults[0].at", Values: []string{"10s", "15s"}},
		{Param: "host.kato", Values: []string{"1s", "2s"}},
	}
	if err := Scale(sc, 20*time.Second, "builtin:target-hang"); err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"2s", "4s", "6s"}, {"5s", "7.5s"}, {"1s", "2s"}}
	for i, ax := range sc.Sweep {
		if !slices.Equal(ax.Values, want[i]) {
			t.Errorf("%s values %v, want %v", ax.Param, ax.Values, want[i])
		}
	}
	cells, err := Expand(sc, "builtin:target-hang")
	if err != nil {
		t.Fatalf("scaled sweep: %v", err)
	}
	if len(cells) != 12 {
		t.Errorf("%d cells, want 12", len(cells))
	}
}
