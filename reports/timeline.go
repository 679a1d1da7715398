package reports

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// span is a half-open stretch [start, end) of the run clock.
type span struct{ start, end int64 }

// faultSpan is one fault instance with its inject and recover paired.
type faultSpan struct {
	id         int
	kind, node string
	inject     int64
	recover    int64
	// planned is the timeline's inject time (inject when not recorded).
	planned int64
	// horizon ends the stretch in which a gap may start and still count as
	// caused by this fault.
	horizon   int64
	immediate bool
	err       string
}

// timeline is the run's windows as the phase marks and fault events define
// them (docs/ARCHITECTURE.md, metric definitions).
type timeline struct {
	measure  span
	baseline span
	faults   []faultSpan
}

// lastMark returns the time of the last mark of phase p.
func lastMark(r *Result, p Phase) (int64, bool) {
	at, ok := int64(0), false
	for _, m := range r.Phases {
		if m.Phase == p {
			at, ok = m.AtNs, true
		}
	}
	return at, ok
}

// buildTimeline derives the windows. Measurement runs from warmup end (or 0)
// to measure-end (or the end of the record). The baseline is steady state
// before the first fault: from baseline-start (default: warmup end) to
// baseline-end (default: the first inject, or the end of measurement).
func buildTimeline(r *Result, minHorizon time.Duration) timeline {
	var t timeline
	t.measure.start, _ = lastMark(r, PhaseWarmupEnd)
	end, ok := lastMark(r, PhaseMeasureEnd)
	if !ok {
		end = r.EndNs
		for i := range r.Workloads {
			end = max(end, r.Workloads[i].Series.EndNs())
		}
	}
	t.measure.end = max(end, t.measure.start)
	t.faults = pairFaults(r.Faults, t.measure.end, int64(minHorizon))

	t.baseline = t.measure
	if at, ok := lastMark(r, PhaseBaselineStart); ok {
		t.baseline.start = at
	}
	if at, ok := lastMark(r, PhaseBaselineEnd); ok {
		t.baseline.end = at
	} else if len(t.faults) > 0 {
		t.baseline.end = min(t.baseline.end, t.faults[0].inject)
	}
	t.baseline.end = max(t.baseline.end, t.baseline.start)
	return t
}

// firingKey is what pairs a fault's inject with its recover: the firing,
// or in older results, which have none, the fault number.
type firingKey struct {
	firing Firing
	legacy bool
	fault  int
}

func (e FaultEvent) key() firingKey {
	if e.Firing == nil {
		return firingKey{legacy: true, fault: e.Fault}
	}
	return firingKey{firing: *e.Firing}
}

// String names the instance in an error about the record.
func (k firingKey) String() string {
	if k.legacy {
		return fmt.Sprintf("fault %d", k.fault)
	}
	return fmt.Sprintf("timeline fault %d cycle %d", k.firing.Index, k.firing.Cycle)
}

// pairFaults joins inject and recover events by firing, in inject
// order. A fault never recovered (the run ended first) lasts to the end of
// measurement. Each fault's horizon is its duration but at least
// minHorizon (just minHorizon for an immediate fault, whose stall starts
// at inject), and never past the inject of the next fault planned later,
// so one gap is not blamed on two faults the timeline separated. Faults
// planned for the same instant share their gap: they are started one
// after the other, microseconds apart, but the outage is theirs together.
func pairFaults(evs []FaultEvent, measureEnd, minHorizon int64) []faultSpan {
	byKey := map[firingKey]*faultSpan{}
	var out []*faultSpan
	for _, e := range evs {
		if e.Phase != FaultInject {
			continue
		}
		f := &faultSpan{id: e.Fault, kind: e.Kind, node: e.Node, inject: e.AtNs, recover: max(measureEnd, e.AtNs), planned: e.AtNs,
			immediate: e.Immediate, err: e.Err}
		if e.PlannedNs != nil {
			f.planned = *e.PlannedNs
		}
		byKey[e.key()] = f
		out = append(out, f)
	}
	for _, e := range evs {
		if f, ok := byKey[e.key()]; ok && e.Phase == FaultRecover {
			f.recover = e.AtNs
			if e.Err != "" && f.err == "" {
				f.err = e.Err
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].inject < out[j].inject })
	spans := make([]faultSpan, len(out))
	for i, f := range out {
		f.horizon = f.inject + max(f.recover-f.inject, minHorizon)
		if f.immediate {
			f.horizon = f.inject + minHorizon
		}
		if j := slices.IndexFunc(out[i+1:], func(g *faultSpan) bool { return g.planned > f.planned }); j >= 0 {
			f.horizon = min(f.horizon, max(out[i+1+j].inject, f.inject))
		}
		spans[i] = *f
	}
	return spans
}

// gridRange maps a span onto a grid of n cells of width step from start:
// inward keeps only cells wholly inside the span (baseline, all: no fault
// or warmup effect leaks in), outward every cell the span touches (fault,
// recovery: nothing the fault caused is missed).
func gridRange(s span, start, step int64, n int, inward bool) (int, int) {
	if step <= 0 || n == 0 || s.end <= s.start {
		return 0, 0
	}
	lo, hi := s.start-start, s.end-start
	var i, j int64
	if inward {
		i, j = ceilDiv(lo, step), floorDiv(hi, step)
	} else {
		i, j = floorDiv(lo, step), ceilDiv(hi, step)
	}
	i, j = min(max(i, 0), int64(n)), min(max(j, 0), int64(n))
	if j < i {
		j = i
	}
	return int(i), int(j)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }
