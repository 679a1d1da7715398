package reports

import (
	"math"
	"strings"
	"testing"
	"time"
)

// A run with a workload on part of the timeline: warmup 5 s, measured to
// 50 s; oltp runs throughout at 5k IOPS with the fixture latency mix
// (p99 = 3L, L = 100 µs) scaled by inflate while the backup runs, and the
// backup (active) runs at 1k IOPS with latency 10L.
const (
	ovWarmup = int64(5e9)
	ovEnd    = int64(50e9)
	ovL      = int64(100e3)
)

// phasedWorkload records a workload at iops during active (the whole run
// when nil) whose latency mix in the slot starting at s is lat(s).
func phasedWorkload(tb testing.TB, name string, active *Span, iops float64, lat func(s int64) int64) WorkloadRecord {
	tb.Helper()
	w := WorkloadRecord{Name: name, Volume: "vol0", GapFloorNs: 1e6, Active: active,
		Series: Series{IntervalNs: fxInterval}, Histograms: Histograms{SlotNs: fxSlot}}
	on := func(s int64) bool { return active == nil || (s >= active.StartNs && s < active.EndNs) }
	for s := int64(0); s < ovEnd; s += fxInterval {
		n := int64(0)
		if on(s) {
			n = int64(iops * float64(fxInterval) / 1e9)
		}
		w.Series.Read.Append(intervalStats(n, lat(s/fxSlot*fxSlot), 0, 0))
		w.Series.Write.Append(intervalStats(0, lat(s), 0, 0))
	}
	for s := int64(0); s < ovEnd; s += fxSlot {
		h := NewLatencyHistogram()
		if on(s) {
			if err := recordMix(h, int64(iops), lat(s)); err != nil {
				tb.Fatal(err)
			}
		}
		enc, err := EncodeHistogram(h)
		if err != nil {
			tb.Fatal(err)
		}
		empty, _ := EncodeHistogram(NewLatencyHistogram())
		w.Histograms.Read = append(w.Histograms.Read, enc)
		w.Histograms.Write = append(w.Histograms.Write, empty)
	}
	return w
}

// overlapRun builds the run: the backup active over [from, to), oltp's
// latency multiplied by inflate in the same stretch.
func overlapRun(tb testing.TB, from, to int64, inflate float64) *Result {
	tb.Helper()
	r := &Result{SchemaVersion: SchemaVersion, EndNs: ovEnd, Scenario: ScenarioInfo{Name: "backup-window", Seed: 1},
		Phases: []PhaseMark{{PhaseWarmupEnd, ovWarmup}, {PhaseMeasureEnd, ovEnd}}}
	oltp := func(s int64) int64 {
		if s >= from && s < to {
			return int64(float64(ovL) * inflate)
		}
		return ovL
	}
	r.Workloads = []WorkloadRecord{
		phasedWorkload(tb, "oltp", nil, 5000, oltp),
		phasedWorkload(tb, "backup", &Span{StartNs: from, EndNs: to}, 1000, func(int64) int64 { return 10 * ovL }),
	}
	return r
}

// near says a latency is want within HDR's three significant digits.
func near(got, want int64) bool { return math.Abs(float64(got-want)) <= 0.001*float64(want) }

func window(tb testing.TB, m *WorkloadMetrics, w Window) WindowMetrics {
	tb.Helper()
	for _, x := range m.Windows {
		if x.Window == w {
			return x
		}
	}
	tb.Fatalf("%s has no %s window: %+v", m.Workload, w, m.Windows)
	return WindowMetrics{}
}

// TestRatioToBaseline judges oltp's p99 while the backup runs against its
// own baseline: a flat window passes, an inflated one fails, and the
// verdict carries both terms and their ratio.
func TestRatioToBaseline(t *testing.T) {
	slo := SLO{Metric: "latency.p99", Workload: "oltp", Window: "overlap", Vs: "baseline", Max: "2"}
	tests := []struct {
		name    string
		inflate float64
		slo     SLO
		pass    bool
	}{
		{"flat", 1, slo, true},
		{"inflated 3x", 3, slo, false},
		{"inflated 1.5x", 1.5, slo, true},
		{"inflated 3x, 4x allowed", 3, SLO{Metric: "latency.p99", Workload: "oltp", Window: "overlap", Vs: "baseline", Max: "4x"}, true},
		// Throughput held: IOPS in the window over baseline IOPS is 1.
		{"iops kept", 3, SLO{Metric: "iops", Workload: "oltp", Window: "overlap", Vs: "baseline", Min: "0.9"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := overlapRun(t, 20e9, 35e9, tt.inflate)
			ev, err := Evaluate(r, []SLO{tt.slo})
			if err != nil {
				t.Fatal(err)
			}
			v := ev.Verdicts[0]
			if v.Pass != tt.pass || ev.Pass != tt.pass {
				t.Fatalf("pass %v (%s, %s), want %v", v.Pass, v.Display, v.Detail, tt.pass)
			}
			if v.Ratio == nil {
				t.Fatalf("verdict has no ratio terms: %+v", v)
			}
			want := tt.inflate
			if tt.slo.Metric == "iops" {
				want = 1
			}
			if got := float64(v.Measured); math.Abs(got-want) > 0.01*want {
				t.Errorf("ratio %.4f, want %.4f", got, want)
			}
			if got := float64(v.Ratio.Window) / float64(v.Ratio.Baseline); math.Abs(got-float64(v.Measured)) > 1e-9 {
				t.Errorf("terms %v / %v = %v, measured %v", v.Ratio.Window, v.Ratio.Baseline, got, v.Measured)
			}
			if tt.slo.Metric == "latency.p99" {
				// The mix's p99 is 3L; HDR keeps 3 significant digits.
				if b := int64(v.Ratio.Baseline); !near(b, 3*ovL) {
					t.Errorf("baseline p99 %v, want %v", time.Duration(b), time.Duration(3*ovL))
				}
			}
		})
	}
}

// TestOverlapWindows pins where the windows of a run with a partial
// workload lie: oltp's overlap window is the backup's run, its baseline
// quiet time before it (or after it, when the backup runs from the start
// of measurement), and the backup's baseline its own run.
func TestOverlapWindows(t *testing.T) {
	tests := []struct {
		name           string
		from, to       int64
		baseS, baseE   int64
		overlapS, ovlE int64
	}{
		{"middle", 20e9, 35e9, ovWarmup, 20e9, 20e9, 35e9},
		{"first part", 0, 15e9, 15e9, ovEnd, ovWarmup, 15e9},
		{"last part", 30e9, ovEnd, ovWarmup, 30e9, 30e9, ovEnd},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compute(overlapRun(t, tt.from, tt.to, 3), Options{})
			if err != nil {
				t.Fatal(err)
			}
			oltp, backup := &m.Workloads[0], &m.Workloads[1]
			b, o := window(t, oltp, WindowBaseline), window(t, oltp, WindowOverlap)
			if b.StartNs != tt.baseS || b.EndNs != tt.baseE {
				t.Errorf("oltp baseline [%v, %v), want [%v, %v)", b.StartNs, b.EndNs, tt.baseS, tt.baseE)
			}
			if o.StartNs != tt.overlapS || o.EndNs != tt.ovlE || o.With != "backup" {
				t.Errorf("oltp overlap [%v, %v) with %q, want [%v, %v) with backup", o.StartNs, o.EndNs, o.With, tt.overlapS, tt.ovlE)
			}
			if got := b.Latency.P99Ns; !near(got, 3*ovL) {
				t.Errorf("oltp baseline p99 %v: the backup's window leaked in", time.Duration(got))
			}
			if bb := window(t, backup, WindowBaseline); bb.StartNs != max(tt.from, ovWarmup) || bb.EndNs != tt.to {
				t.Errorf("backup baseline [%v, %v), want its run", bb.StartNs, bb.EndNs)
			}
			for _, w := range backup.Windows {
				if w.Window == WindowOverlap {
					t.Errorf("backup has an overlap window with %q; oltp runs the whole timeline", w.With)
				}
			}
			// The run's baseline is the steady state of the workloads that
			// ran throughout: the backup's slow I/O must not be in it.
			if ob := window(t, &m.Overall, WindowBaseline); !near(ob.Latency.P99Ns, 3*ovL) {
				t.Errorf("overall baseline p99 %v, want oltp's %v", time.Duration(ob.Latency.P99Ns), time.Duration(3*ovL))
			}
		})
	}
}

// TestFaultWhileIdle: a workload that stopped before a fault cannot have
// failed over from it. Counted, it never recovered (no I/O after inject)
// and recovery_time was unbounded; it is left out, and the fault is
// judged on the workloads that ran through it.
func TestFaultWhileIdle(t *testing.T) {
	r := overlapRun(t, ovWarmup, 15e9, 1)
	r.Faults = []FaultEvent{
		{Fault: 1, Kind: "process-pause", Node: "tgt-a", Phase: FaultInject, AtNs: 30e9},
		{Fault: 1, Kind: "process-pause", Node: "tgt-a", Phase: FaultRecover, AtNs: 31e9},
	}
	ev, err := Evaluate(r, []SLO{{Metric: "recovery_time", Max: "10s"}, {Metric: "failover_time", Max: "1s"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range ev.Verdicts {
		if !v.Pass {
			t.Errorf("%s: %s (%s)", v.Name(), v.Display, v.Detail)
		}
	}
	m, _ := Compute(r, Options{})
	if f := m.Workloads[1].Faults[0]; !f.Idle {
		t.Errorf("backup's view of the fault is not idle: %+v", f)
	}
	if f := m.Overall.Faults[0]; f.Idle || f.Workload != "oltp" {
		t.Errorf("overall fault %+v, want oltp's", f)
	}
}

func TestRatioThresholds(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"2", 2, true}, {"2.5", 2.5, true}, {"1.5x", 1.5, true}, {" 3X ", 3, true},
		{"2ms", 0, false}, {"-1", 0, false}, {"x", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseThreshold(UnitRatio, tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseThreshold(ratio, %q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// TestRatioInOutputs: summary.md lists a ratio verdict with both terms,
// passed or not, and junit.xml carries it as a property and names it in
// the test case.
func TestRatioInOutputs(t *testing.T) {
	r := overlapRun(t, 20e9, 35e9, 3)
	slo := SLO{Metric: "latency.p99", Workload: "oltp", Window: "overlap", Vs: "baseline", Max: "4"}
	if err := Finish(r, []SLO{slo}, Options{}); err != nil {
		t.Fatal(err)
	}
	var md, xml strings.Builder
	if err := WriteSummary(&md, []*Result{r}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnit(&xml, []*Result{r}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"### Against baseline", "| backup-window | latency.p99 of oltp (overlap) vs baseline | 900.1µs | 300µs | 3.00x | <= 4 | pass |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md.String())
		}
	}
	for _, want := range []string{`name="latency.p99{oltp}[overlap] vs baseline &lt;= 4"`,
		`name="ratio.oltp.latency.p99.overlap" value="3.00x (900.1µs in overlap / 300µs in baseline)"`} {
		if !strings.Contains(xml.String(), want) {
			t.Errorf("junit.xml lacks %q:\n%s", want, xml.String())
		}
	}
}
