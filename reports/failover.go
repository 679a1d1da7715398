package reports

import (
	"sort"
)

// ioSeries is a workload's series with both directions summed into prefix
// sums, so any window's counts are O(1) and recovery_time is one pass.
type ioSeries struct {
	startNs, intervalNs int64
	ios, bytes, errs    []int64 // prefix sums: [i] = total of intervals [0, i)
}

func newIOSeries(s *Series) *ioSeries {
	n := s.Len()
	p := &ioSeries{startNs: s.StartNs, intervalNs: s.IntervalNs,
		ios: make([]int64, n+1), bytes: make([]int64, n+1), errs: make([]int64, n+1)}
	for i := range n {
		p.ios[i+1] = p.ios[i] + s.Read.IOs[i] + s.Write.IOs[i]
		p.bytes[i+1] = p.bytes[i] + s.Read.Bytes[i] + s.Write.Bytes[i]
		p.errs[i+1] = p.errs[i] + s.Read.Errors[i] + s.Write.Errors[i]
	}
	return p
}

func (p *ioSeries) len() int { return len(p.ios) - 1 }

// sum returns the I/Os, bytes and errors of intervals [i, j).
func (p *ioSeries) sum(i, j int) (ios, bytes, errs int64) {
	return p.ios[j] - p.ios[i], p.bytes[j] - p.bytes[i], p.errs[j] - p.errs[i]
}

// recovery returns recovery_time of a fault injected at inject: from inject
// to the start of the first o.SteadyFor made of whole seconds each at
// o.SteadyFraction of baseline IOPS or more. Candidate starts are interval
// boundaries from the one at or before inject (so a fault that never dents
// IOPS recovers in 0), which makes the result exact to one interval.
// Seconds are counted in intervals (1 s / interval, at least one).
func (p *ioSeries) recovery(inject int64, baselineIOPS float64, measureEnd int64, o Options) (int64, bool) {
	if p.intervalNs <= 0 || p.len() == 0 {
		return 0, false
	}
	perSec := max(int((1e9+p.intervalNs/2)/p.intervalNs), 1)
	secs := max(int(o.SteadyFor/1e9), 1)
	need := o.SteadyFraction * baselineIOPS * float64(int64(perSec)*p.intervalNs) / 1e9
	last := min(p.len(), int(max(ceilDiv(measureEnd-p.startNs, p.intervalNs), 0)))
	first := max(int(floorDiv(inject-p.startNs, p.intervalNs)), 0)
	run := 0 // consecutive steady seconds ending at candidate i + run*perSec
	for i := first; i+secs*perSec <= last; {
		k := i + run*perSec
		if float64(p.ios[k+perSec]-p.ios[k]) >= need {
			run++
			if run == secs {
				return max(p.startNs+int64(i)*p.intervalNs-inject, 0), true
			}
			continue
		}
		i, run = i+1, 0
	}
	return 0, false
}

// failover measures one fault from a workload's gaps (docs/ARCHITECTURE.md, metric definitions): the
// longest gap starting in [inject − p999, horizon]; failover_time is inject
// to the gap's end when the gap exceeds threshold, else 0.
func failover(gaps []Gap, f faultSpan, p999, threshold int64) FaultMetrics {
	m := FaultMetrics{Fault: f.id, Kind: f.kind, Node: f.node, InjectNs: f.inject, RecoverNs: f.recover, IOResumed: true, Err: f.err}
	lo := f.inject - p999
	best := -1
	for k := sort.Search(len(gaps), func(k int) bool { return gaps[k].StartNs >= lo }); k < len(gaps) && gaps[k].StartNs <= f.horizon; k++ {
		if best < 0 || gaps[k].EndNs-gaps[k].StartNs > gaps[best].EndNs-gaps[best].StartNs {
			best = k
		}
	}
	if best < 0 {
		return m
	}
	g := gaps[best]
	m.IOPauseNs, m.PauseStartNs, m.PauseEndNs = g.EndNs-g.StartNs, g.StartNs, g.EndNs
	if m.IOPauseNs > threshold || g.Open {
		m.FailoverTimeNs = max(g.EndNs-f.inject, 0)
		m.IOResumed = !g.Open
	}
	return m
}
