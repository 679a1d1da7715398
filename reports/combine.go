package reports

import (
	"slices"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// combine builds the overall metrics from the workloads' (see Metrics).
// Workloads' windows differ: a recovery window exists only where a
// workload's recovery outlasted the fault, an overlap window only beside
// another workload's partial run, and baselines are each workload's own;
// windows are therefore matched by (window, fault, with).
//
// The overall baseline is the steady state of the workloads that ran the
// whole timeline (partial[i] false), when there are any: a workload that
// ran for part of it is itself a disturbance, and its own baseline is its
// run.
func combine(ws []WorkloadMetrics, hists [][]*hdr.Histogram, partial []bool, t timeline) WorkloadMetrics {
	o := WorkloadMetrics{Workload: "overall"}
	type key struct {
		w     Window
		fault int
		with  string
	}
	idx := map[key]int{}
	var merged []*hdr.Histogram
	allPartial := !slices.Contains(partial, false)
	for wi, w := range ws {
		o.StallThresholdNs = max(o.StallThresholdNs, w.StallThresholdNs)
		o.IOErrors += w.IOErrors
		o.LostWrites += w.LostWrites
		o.StaleReads += w.StaleReads
		o.CorruptBlocks += w.CorruptBlocks
		for i, win := range w.Windows {
			if win.Window == WindowBaseline && partial[wi] && !allPartial {
				continue
			}
			k := key{win.Window, win.Fault, win.With}
			j, ok := idx[k]
			if !ok {
				j = len(o.Windows)
				idx[k] = j
				o.Windows = append(o.Windows, WindowMetrics{Window: win.Window, Fault: win.Fault, With: win.With, StartNs: win.StartNs, EndNs: win.EndNs})
				merged = append(merged, NewLatencyHistogram())
			}
			sumWindow(&o.Windows[j], win)
			merged[j].Merge(hists[wi][i])
		}
		for fi, f := range w.Faults {
			if fi >= len(o.Faults) {
				o.Faults = append(o.Faults, f)
				if !f.Idle {
					o.Faults[fi].Workload = w.Workload
				}
				continue
			}
			worstFault(&o.Faults[fi], f, w.Workload)
		}
	}
	for j := range o.Windows {
		o.Windows[j].Latency = latencyStats(merged[j])
	}
	if len(ws) == 0 {
		for _, f := range t.faults {
			o.Faults = append(o.Faults, FaultMetrics{Fault: f.id, Kind: f.kind, Node: f.node, InjectNs: f.inject, RecoverNs: f.recover, IOResumed: true, Recovered: true})
		}
	}
	return o
}

// sumWindow adds a workload's window into the overall one; a recovery
// window spans the longest any workload needed.
func sumWindow(dst *WindowMetrics, w WindowMetrics) {
	dst.StartNs, dst.EndNs = min(dst.StartNs, w.StartNs), max(dst.EndNs, w.EndNs)
	dst.IOs += w.IOs
	dst.Bytes += w.Bytes
	dst.Errors += w.Errors
	dst.IOPS += w.IOPS
	dst.BW += w.BW
}

// worstFault keeps, metric by metric, the worse of two workloads' views of
// one fault; Workload names the one with the worst failover.
func worstFault(dst *FaultMetrics, f FaultMetrics, workload string) {
	switch {
	case f.Idle:
		return
	case dst.Idle:
		*dst = f
		dst.Workload = workload
		return
	}
	if longerFailover(f, *dst) {
		dst.FailoverTimeNs, dst.IOResumed, dst.Workload = f.FailoverTimeNs, f.IOResumed, workload
	}
	if f.IOPauseNs > dst.IOPauseNs {
		dst.IOPauseNs, dst.PauseStartNs, dst.PauseEndNs = f.IOPauseNs, f.PauseStartNs, f.PauseEndNs
	}
	if !f.Recovered || (dst.Recovered && f.RecoveryTimeNs > dst.RecoveryTimeNs) {
		dst.RecoveryTimeNs, dst.Recovered = f.RecoveryTimeNs, f.Recovered
	}
}

func longerFailover(a, b FaultMetrics) bool {
	if a.IOResumed != b.IOResumed {
		return !a.IOResumed
	}
	return a.FailoverTimeNs > b.FailoverTimeNs
}
