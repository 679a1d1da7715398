package htmlreport

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// BenchmarkRenderOneHour renders the report of a one-hour run at 100 ms
// intervals (36 000 intervals, 1 s histogram slots) with two workloads and
// three faults: the largest run a nightly job keeps. It reports the page
// size; the goal is well under a few seconds and at most a few MB.
func BenchmarkRenderOneHour(b *testing.B) {
	r := oneHourResult(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/report")
}

// TestRenderOneHour keeps the one-hour page inside its size budget (and
// free of problems) on every test run, not only when benchmarking.
func TestRenderOneHour(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a one-hour record")
	}
	r := oneHourResult(t)
	var buf bytes.Buffer
	if err := Write(&buf, r); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 3<<20 {
		t.Errorf("one-hour report is %d bytes, budget 3 MiB", buf.Len())
	}
	page := buf.String()
	if n := checkSVGs(t, page); n != 7 {
		t.Errorf("%d plots, want 7", n)
	}
	if bytes.Contains(buf.Bytes(), []byte("Could not show everything")) {
		t.Errorf("one-hour report lists problems")
	}
}

type benchFault struct {
	kind, node  string
	at, dur     time.Duration
	pause, slow time.Duration
}

var benchFaults = []benchFault{
	{"process-kill", "tgt-a", 10 * time.Minute, 20 * time.Second, 1500 * time.Millisecond, 5 * time.Second},
	{"ana-change", "tgt-b", 25 * time.Minute, 10 * time.Second, 50 * time.Millisecond, time.Second},
	{"link-flap", "tgt-a", 40 * time.Minute, 30 * time.Second, 3 * time.Second, 10 * time.Second},
}

// oneHourResult synthesises a one-hour record: steady I/O with noise,
// each fault pausing I/O then running slow, and judges it like a run.
func oneHourResult(tb testing.TB) *reports.Result {
	tb.Helper()
	const n, interval = 36000, int64(100 * time.Millisecond)
	r := &reports.Result{SchemaVersion: reports.SchemaVersion, EndNs: n * interval,
		Scenario:    reports.ScenarioInfo{Name: "one-hour", Seed: 1, Params: map[string]string{"host.kato": "1s"}},
		Environment: reports.Environment{Target: reports.TargetInfo{Kind: "embedded", Backend: "local"}, Machine: reports.CurrentMachine()},
		Phases:      []reports.PhaseMark{{Phase: reports.PhaseWarmupEnd, AtNs: int64(30 * time.Second)}}}
	for i, f := range benchFaults {
		inj, rec := int64(f.at), int64(f.at+f.dur)
		r.Faults = append(r.Faults, reports.FaultEvent{Fault: i + 1, Kind: f.kind, Node: f.node, Phase: reports.FaultInject, AtNs: inj},
			reports.FaultEvent{Fault: i + 1, Kind: f.kind, Node: f.node, Phase: reports.FaultRecover, AtNs: rec})
		r.PathEvents = append(r.PathEvents, reports.PathEvent{AtNs: inj + int64(time.Millisecond), Volume: "vol0", Path: "a", Kind: reports.PathDown},
			reports.PathEvent{AtNs: rec + int64(time.Second), Volume: "vol0", Path: "a", Kind: reports.PathUp})
	}
	hist := benchHistograms(tb)
	rng := rand.New(rand.NewPCG(1, 2))
	r.Workloads = []reports.WorkloadRecord{benchWorkload("oltp", 40000, true, hist, rng), benchWorkload("scan", 8000, false, hist, rng)}
	slos := []reports.SLO{{Metric: "failover_time", Max: "2s"}, {Metric: "latency.p99", Window: "baseline", Max: "5ms"},
		{Metric: "io_errors", Max: "0"}, {Metric: "iops", Window: "baseline", Min: "20k"}}
	if err := reports.Finish(r, slos, reports.Options{}); err != nil {
		tb.Fatal(err)
	}
	return r
}

// benchWorkload synthesises one workload's hour: iops with ±10 % noise,
// reads (and writes when both), a pause then a slow stretch per fault.
func benchWorkload(name string, iops float64, both bool, hist map[bool]string, rng *rand.Rand) reports.WorkloadRecord {
	const n, interval = 36000, int64(100 * time.Millisecond)
	w := reports.WorkloadRecord{Name: name, Volume: "vol0", GapFloorNs: int64(time.Millisecond)}
	w.Series.IntervalNs = interval
	for i := range int64(n) {
		faulty, paused := benchState(i * interval)
		ios := int64(iops / 10 * (0.9 + 0.2*rng.Float64()))
		lat := int64(200e3 * (0.8 + 0.4*rng.Float64()))
		if faulty {
			ios, lat = ios/3, lat*20
		}
		if paused {
			ios, lat = 0, 0
		}
		row := reports.IntervalStats{IOs: ios, Bytes: ios * 4096, P50Ns: lat, P90Ns: 2 * lat, P99Ns: 4 * lat, P999Ns: 9 * lat, MaxNs: 20 * lat}
		w.Series.Read.Append(row)
		if !both {
			row = reports.IntervalStats{}
		}
		w.Series.Write.Append(row)
	}
	w.Histograms.SlotNs = int64(time.Second)
	for s := range int64(n / 10) {
		faulty, _ := benchState(s * int64(time.Second))
		w.Histograms.Read = append(w.Histograms.Read, hist[faulty])
		w.Histograms.Write = append(w.Histograms.Write, map[bool]string{true: hist[faulty], false: ""}[both])
	}
	for _, f := range benchFaults {
		w.Gaps = append(w.Gaps, reports.Gap{StartNs: int64(f.at), EndNs: int64(f.at + f.pause)})
	}
	return w
}

// benchState says whether t falls in a fault's slow stretch or its pause.
func benchState(t int64) (faulty, paused bool) {
	for _, f := range benchFaults {
		if rel := t - int64(f.at); rel >= 0 && rel < int64(f.pause+f.slow) {
			return true, rel < int64(f.pause)
		}
	}
	return false, false
}

// benchHistograms are two encoded slots, steady and faulty, reused for
// every slot: encoding 14 400 distinct ones would only slow the setup.
func benchHistograms(tb testing.TB) map[bool]string {
	out := map[bool]string{}
	for _, faulty := range []bool{false, true} {
		h := reports.NewLatencyHistogram()
		scale := map[bool]int64{false: 1, true: 20}[faulty]
		for i := range int64(5000) {
			v := (150e3 + i%100*1e3 + i%997*i%7*3e3) * scale
			if err := h.RecordValue(v); err != nil {
				tb.Fatal(err)
			}
		}
		enc, err := reports.EncodeHistogram(h)
		if err != nil {
			tb.Fatal(err)
		}
		out[faulty] = enc
	}
	return out
}
