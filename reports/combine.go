package reports

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// combine builds the overall metrics from the workloads' (see Metrics).
// Every workload has the same windows in the same order except recovery
// windows, which exist only where a workload's recovery outlasted the
// fault; windows are therefore matched by (window, fault).
func combine(ws []WorkloadMetrics, hists [][]*hdr.Histogram, t timeline) WorkloadMetrics {
	o := WorkloadMetrics{Workload: "overall"}
	type key struct {
		w     Window
		fault int
	}
	idx := map[key]int{}
	var merged []*hdr.Histogram
	for wi, w := range ws {
		o.StallThresholdNs = max(o.StallThresholdNs, w.StallThresholdNs)
		o.IOErrors += w.IOErrors
		o.LostWrites += w.LostWrites
		o.StaleReads += w.StaleReads
		o.CorruptBlocks += w.CorruptBlocks
		for i, win := range w.Windows {
			k := key{win.Window, win.Fault}
			j, ok := idx[k]
			if !ok {
				j = len(o.Windows)
				idx[k] = j
				o.Windows = append(o.Windows, WindowMetrics{Window: win.Window, Fault: win.Fault, StartNs: win.StartNs, EndNs: win.EndNs})
				merged = append(merged, NewLatencyHistogram())
			}
			sumWindow(&o.Windows[j], win)
			merged[j].Merge(hists[wi][i])
		}
		for fi, f := range w.Faults {
			if fi >= len(o.Faults) {
				o.Faults = append(o.Faults, f)
				o.Faults[fi].Workload = w.Workload
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
