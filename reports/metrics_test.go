package reports

import (
	"encoding/json"
	"testing"
)

func TestFaultMetrics(t *testing.T) {
	type want struct {
		failover, pause, recovery int64
		resumed, recovered        bool
	}
	tests := []struct {
		fixture string
		want    []want // overall, per fault
	}{
		{"pause-1s", []want{{1003e6, 1000e6, 1003e6, true, true}}},
		{"gap-before-inject", []want{{2000e6, 2000300e3, 2000e6, true, true}}},
		{"gap-too-early", []want{{0, 0, 900e6, true, true}}}, // 9 of 10 intervals is 90 %
		{"no-fault", nil},
		{"small-gap", []want{{0, 8e6, 0, true, true}}},
		{"slow-ramp", []want{{2000e6, 2000e6, 6000e6, true, true}}},
		{"never-resumed", []want{{20e9, 20e9 - 1e3, 20e9, false, false}}}, // lower bounds
		{"two-workloads", []want{{1500e6, 1499e6, 1500e6, true, true}}},
		{"simultaneous", []want{{2001e6, 2000e6, 2001e6, true, true}, {2000950e3, 2000e6, 2000950e3, true, true}}},
		{"staggered", []want{{0, 0, 2000e6, true, true}, {2000950e3, 2000e6, 2000950e3, true, true}}},
		{"late-hiccup", []want{{0, 4e6, 0, true, true}}},
		{"late-stall", []want{{4344e6, 44e6, 4344e6, true, true}}},
		{"repeated", []want{{501e6, 500e6, 501e6, true, true}, {1001e6, 1000e6, 1001e6, true, true}, {2001e6, 2000e6, 2001e6, true, true}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			m, err := Compute(loadFixture(t, fixtures[tt.fixture]), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Overall.Faults) != len(tt.want) {
				t.Fatalf("%d faults, want %d", len(m.Overall.Faults), len(tt.want))
			}
			for i, w := range tt.want {
				f := m.Overall.Faults[i]
				got := want{f.FailoverTimeNs, f.IOPauseNs, f.RecoveryTimeNs, f.IOResumed, f.Recovered}
				if got != w {
					t.Errorf("fault %d: got failover %d pause %d recovery %d resumed %v recovered %v, want %+v",
						f.Fault, got.failover, got.pause, got.recovery, got.resumed, got.recovered, w)
				}
			}
		})
	}
}

func TestBaselineWindow(t *testing.T) {
	m, err := Compute(loadFixture(t, fixtures["pause-1s"]), Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := m.Workloads[0]
	b := w.Windows[0]
	if b.Window != WindowBaseline || b.StartNs != 5e9 || b.EndNs != inj {
		t.Fatalf("first window = %s [%d, %d), want baseline [5s, 25s)", b.Window, b.StartNs, b.EndNs)
	}
	// 10k IOPS, latency L=100µs: p50 L, p90 1.5L, p99 3L, p99.9 5L, max 10L
	// (HDR reports a bucket's upper edge: within 0.5 %).
	if b.IOPS != 10000 || b.BW != 10000*4096 {
		t.Errorf("baseline iops %v bw %v, want 10000 and 40960000", b.IOPS, b.BW)
	}
	for _, c := range []struct {
		name      string
		got, want int64
	}{{"p50", b.Latency.P50Ns, 100e3}, {"p90", b.Latency.P90Ns, 150e3}, {"p99", b.Latency.P99Ns, 300e3},
		{"p99.9", b.Latency.P999Ns, 500e3}, {"max", b.Latency.MaxNs, 1000e3}} {
		if c.got < c.want || c.got > c.want+c.want/200 {
			t.Errorf("baseline %s = %d, want %d (+0.5%%)", c.name, c.got, c.want)
		}
	}
	if w.StallThresholdNs != 10e6 {
		t.Errorf("stall threshold %d, want the 10 ms floor", w.StallThresholdNs)
	}
	// The stalled I/Os complete at 26.003 s, after recover: in the recovery
	// window's slots, never in the baseline's.
	for _, win := range w.Windows {
		if win.Window == WindowRecovery && win.Latency.MaxNs < 1e9 {
			t.Errorf("recovery window max latency %d, want the 1 s stall", win.Latency.MaxNs)
		}
	}
}

func TestCountsExcludeWarmup(t *testing.T) {
	m, err := Compute(loadFixture(t, fixtures["repeated"]), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The fixture puts 3 errors in the first (warmup) interval and 3 at
	// warmup end: only those count.
	if m.Overall.IOErrors != 3 || m.Overall.LostWrites != 2 {
		t.Errorf("io_errors %d lost_writes %d, want 3 and 2", m.Overall.IOErrors, m.Overall.LostWrites)
	}
}

func TestMetricsGolden(t *testing.T) {
	for name, f := range fixtures {
		t.Run(name, func(t *testing.T) {
			m, err := Compute(loadFixture(t, f), Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(m, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".metrics.json", append(b, '\n'))
		})
	}
}

func TestErrorsInPartialLastInterval(t *testing.T) {
	r := synth(t, fixture{name: "tail-error"})
	// Measurement ends 50 ms into the last interval, which holds an error.
	last := r.Workloads[0].Series.Len() - 1
	r.Workloads[0].Series.Read.Errors[last] = 1
	r.Phases = append(r.Phases, PhaseMark{PhaseMeasureEnd, int64(last)*fxInterval + 50e6})
	m, err := Compute(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Overall.IOErrors != 1 {
		t.Errorf("io_errors %d, want the error in the partial last interval counted", m.Overall.IOErrors)
	}
}
