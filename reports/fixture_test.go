package reports

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the testdata fixtures and golden files")

// fixtureFault is one fault of a synthetic run (run-clock ns).
type fixtureFault struct {
	inject, recover int64
	open            bool  // no recover event: the run ended first
	planned         int64 // the timeline's inject time, recorded when set
	immediate       bool  // FaultEvent.Immediate
}

// ramp makes IOPS climb back after a stall: the k-th interval from fromNs
// (k = 1..steps) runs at k/steps of full rate.
type ramp struct {
	fromNs int64
	steps  int
}

// fixture describes a synthetic run with known answers: constant IOPS
// (70 % reads) whose latency is 52 % L, 40 % 1.5L, 7.5 % 3L, 0.45 % 5L and
// 0.05 % 10L, so the baseline p50, p90, p99, p99.9 are L, 1.5L, 3L, 5L with
// a margin either side (a few I/Os more or less move no percentile);
// stalls where gaps say, the stalled I/Os completing at the gap's end.
type fixture struct {
	name      string
	warmup    int64 // default 5 s
	measure   int64 // default 40 s
	iops      float64
	latency   int64 // L, default 100 µs
	faults    []fixtureFault
	gaps      []Gap
	ramp      *ramp
	workloads []string // default one, "w0"
	// gapsOf limits gaps to one workload (default: all of them).
	gapsOf string
	errors int64
	verify *Verification
}

const (
	fxInterval = int64(100 * time.Millisecond)
	fxSlot     = int64(time.Second)
	fxDepth    = 32 // I/Os in flight when a stall starts
)

func (f *fixture) defaults() {
	if f.warmup == 0 {
		f.warmup = 5e9
	}
	if f.measure == 0 {
		f.measure = 40e9
	}
	if f.iops == 0 {
		f.iops = 10000
	}
	if f.latency == 0 {
		f.latency = 100e3
	}
	if len(f.workloads) == 0 {
		f.workloads = []string{"w0"}
	}
}

// synth builds the Result a fixture describes.
func synth(tb testing.TB, f fixture) *Result {
	tb.Helper()
	f.defaults()
	end := f.warmup + f.measure
	r := &Result{SchemaVersion: SchemaVersion, EndNs: end,
		Scenario:    ScenarioInfo{Name: f.name, Seed: 42, Document: []byte(`{"apiVersion":"nvmf-chaos/v1","kind":"Scenario"}`)},
		Environment: Environment{Target: TargetInfo{Kind: "embedded", Version: "test"}, Host: HostSettings{KATONs: 1e9, Policy: "failover"}, Machine: Machine{OS: "linux", Arch: "amd64", CPUs: 2, GoVersion: "go1.26"}},
		StartedAt:   time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		Phases:      []PhaseMark{{PhaseWarmupEnd, f.warmup}, {PhaseMeasureEnd, end}},
	}
	for i, ff := range f.faults {
		ev := FaultEvent{Fault: i + 1, Kind: "process-pause", Node: "tgt-a", Phase: FaultInject, AtNs: ff.inject, Immediate: ff.immediate}
		if ff.planned != 0 {
			ev.PlannedNs = &ff.planned
		}
		r.Faults = append(r.Faults, ev)
		if !ff.open {
			r.Faults = append(r.Faults, FaultEvent{Fault: i + 1, Kind: "process-pause", Node: "tgt-a", Phase: FaultRecover, AtNs: ff.recover})
		}
	}
	for _, name := range f.workloads {
		var gaps []Gap
		if f.gapsOf == "" || f.gapsOf == name {
			gaps = f.gaps
		}
		w, err := synthWorkload(f, name, gaps, end)
		if err != nil {
			tb.Fatal(err)
		}
		r.Workloads = append(r.Workloads, w)
	}
	return r
}

func synthWorkload(f fixture, name string, gaps []Gap, end int64) (WorkloadRecord, error) {
	w := WorkloadRecord{Name: name, Volume: "vol0", GapFloorNs: 1e6, Gaps: gaps, Verify: f.verify,
		Series:     Series{IntervalNs: fxInterval},
		Histograms: Histograms{SlotNs: fxSlot}}
	for i := int64(0); i*fxInterval < end; i++ {
		s := i * fxInterval
		n := int64(f.iops*float64(fxInterval)/1e9*liveFraction(s, s+fxInterval, gaps) + 0.5)
		n = int64(float64(n) * rampFactor(f.ramp, s))
		stall := stalledIn(s, s+fxInterval, gaps)
		reads := n * 7 / 10
		errs := int64(0)
		if i == 0 {
			errs = f.errors // during warmup: must not count
		} else if s == f.warmup {
			errs = f.errors
		}
		w.Series.Read.Append(intervalStats(reads, f.latency, 0, 0))
		w.Series.Write.Append(intervalStats(n-reads, f.latency, stall, errs))
	}
	for s := int64(0); s < end; s += fxSlot {
		var hs [2]string
		for d := range 2 {
			h := NewLatencyHistogram()
			ios := int64(0)
			for i := s; i < s+fxSlot; i += fxInterval {
				k := i / fxInterval
				ios += []int64{w.Series.Read.IOs[k], w.Series.Write.IOs[k]}[d]
				if st := stalledIn(i, i+fxInterval, gaps); st > 0 && d == 1 {
					if err := h.RecordValues(st, fxDepth); err != nil {
						return w, err
					}
				}
			}
			// The mix over a whole slot keeps its shares exact.
			if err := recordMix(h, ios, f.latency); err != nil {
				return w, err
			}
			var err error
			if hs[d], err = EncodeHistogram(h); err != nil {
				return w, err
			}
		}
		w.Histograms.Read = append(w.Histograms.Read, hs[0])
		w.Histograms.Write = append(w.Histograms.Write, hs[1])
	}
	return w, nil
}

// recordMix records n I/Os with the fixture's latency mix.
func recordMix(h interface{ RecordValues(v, n int64) error }, n, l int64) error {
	mix := []struct {
		num, den, mult int64
	}{{5200, 10000, 2}, {4000, 10000, 3}, {750, 10000, 6}, {45, 10000, 10}, {5, 10000, 20}}
	left := n
	for i, m := range mix {
		c := n * m.num / m.den
		if i == len(mix)-1 {
			c = left
		}
		left -= c
		if c > 0 {
			if err := h.RecordValues(l*m.mult/2, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func intervalStats(ios, l, stall, errs int64) IntervalStats {
	s := IntervalStats{IOs: ios, Bytes: ios * 4096, Errors: errs}
	if ios > 0 {
		s.P50Ns, s.P90Ns, s.P99Ns, s.P999Ns, s.MaxNs = l, l*3/2, 3*l, 5*l, 10*l
	}
	s.MaxNs = max(s.MaxNs, stall)
	return s
}

// liveFraction is the share of [s, e) outside every gap.
func liveFraction(s, e int64, gaps []Gap) float64 {
	dead := int64(0)
	for _, g := range gaps {
		dead += max(min(e, g.EndNs)-max(s, g.StartNs), 0)
	}
	return 1 - float64(min(dead, e-s))/float64(e-s)
}

// stalledIn returns the latency of the I/Os a gap ending in [s, e) held.
func stalledIn(s, e int64, gaps []Gap) int64 {
	for _, g := range gaps {
		if !g.Open && g.EndNs >= s && g.EndNs < e {
			return g.EndNs - g.StartNs
		}
	}
	return 0
}

func rampFactor(r *ramp, s int64) float64 {
	if r == nil || s < r.fromNs {
		return 1
	}
	k := (s-r.fromNs)/fxInterval + 1
	return min(float64(k)/float64(r.steps), 1)
}

// loadFixture returns the fixture's results.json from testdata, writing it
// first under -update: the stored file, not the generator, is the test
// input, so a change to the generator shows up as a fixture diff.
func loadFixture(t *testing.T, f fixture) *Result {
	t.Helper()
	path := filepath.Join("testdata", f.name+".results.json")
	if *update {
		if err := synth(t, f).WriteFile(path); err != nil {
			t.Fatal(err)
		}
	}
	r, err := ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	return r
}

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", path, firstDiff(string(want), string(got)))
	}
}

func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(i-200, 0)
	return fmt.Sprintf("want …%s…\n got …%s…", a[lo:min(i+200, len(a))], b[lo:min(i+200, len(b))])
}
