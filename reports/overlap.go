package reports

import (
	"cmp"
	"slices"
)

// partialRun is a workload that ran for part of the timeline, on the run
// clock.
type partialRun struct {
	name string
	s    span
}

// partialRuns lists the workloads of r that ran for part of the timeline,
// in start order.
func partialRuns(r *Result) []partialRun {
	var out []partialRun
	for i := range r.Workloads {
		if a := r.Workloads[i].Active; a != nil {
			out = append(out, partialRun{name: r.Workloads[i].Name, s: span{a.StartNs, a.EndNs}})
		}
	}
	slices.SortStableFunc(out, func(a, b partialRun) int { return cmp.Compare(a.s.start, b.s.start) })
	return out
}

// workloadWindows narrows the run's timeline to workload w and returns its
// overlap windows: one per other workload that ran for part of the
// timeline, spanning the time both ran within measurement. Its baseline
// lies within its own run and outside every overlap: it ends where the
// first overlap starts (as the run's ends at the first fault), and when
// an overlap is already under way where it would begin (a workload that
// runs the first part of the timeline only), it begins when that ends.
func workloadWindows(t timeline, w *WorkloadRecord, parts []partialRun) (timeline, []windowDef) {
	own := t.measure
	if a := w.Active; a != nil {
		own = intersect(own, span{a.StartNs, a.EndNs})
		t.baseline = intersect(t.baseline, own)
	}
	var defs []windowDef
	for _, p := range parts {
		if p.name == w.Name {
			continue
		}
		ov := intersect(own, p.s)
		if ov.end <= ov.start {
			continue
		}
		defs = append(defs, windowDef{w: WindowOverlap, with: p.name, s: ov, inward: true})
		if ov.start <= t.baseline.start {
			t.baseline.start = max(t.baseline.start, ov.end)
		} else {
			t.baseline.end = min(t.baseline.end, ov.start)
		}
	}
	t.baseline.end = max(t.baseline.end, t.baseline.start)
	return t, defs
}

// intersect is the common part of a and b, empty (end == start) when
// they do not meet.
func intersect(a, b span) span {
	s := span{max(a.start, b.start), min(a.end, b.end)}
	s.end = max(s.end, s.start)
	return s
}

// idleAt says whether w was not running at instant at: a fault injected
// then cannot stall or slow it, so it has no availability metrics.
func idleAt(w *WorkloadRecord, at int64) bool {
	return w.Active != nil && (at < w.Active.StartNs || at >= w.Active.EndNs)
}
