package reports

import (
	"fmt"
	"math"
	"strings"
)

var inf = math.Inf(1)

// samples returns the values of a metric an SLO judges: one per fault for
// per-fault metrics (a run without faults has one sample, 0: nothing
// failed over; a fault no workload ran through has none), one per matching window for window metrics (default
// window: all; windows without I/O give no latency sample), and the total
// for counts.
func samples(m *WorkloadMetrics, spec MetricSpec, window string) ([]float64, error) {
	if spec.PerFault {
		if len(m.Faults) == 0 {
			return []float64{0}, nil
		}
		out := make([]float64, 0, len(m.Faults))
		for _, f := range m.Faults {
			if !f.Idle {
				out = append(out, faultValue(f, spec.Name))
			}
		}
		return out, nil
	}
	switch spec.Name {
	case "io_errors":
		return []float64{float64(m.IOErrors)}, nil
	case "lost_writes":
		return []float64{float64(m.LostWrites)}, nil
	case "stale_reads":
		return []float64{float64(m.StaleReads)}, nil
	case "corrupt_blocks":
		return []float64{float64(m.CorruptBlocks)}, nil
	}
	w := WindowAll
	if window != "" {
		var err error
		if w, err = ParseWindow(window); err != nil {
			return nil, err
		}
	}
	var out []float64
	for _, win := range m.Windows {
		if win.Window != w {
			continue
		}
		x, ok, err := windowValue(win, spec.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, x)
		}
	}
	return out, nil
}

func faultValue(f FaultMetrics, name string) float64 {
	switch name {
	case "failover_time":
		if !f.IOResumed {
			return inf
		}
		return float64(f.FailoverTimeNs)
	case "io_pause":
		if !f.IOResumed {
			return inf
		}
		return float64(f.IOPauseNs)
	default: // recovery_time
		if !f.Recovered {
			return inf
		}
		return float64(f.RecoveryTimeNs)
	}
}

func windowValue(w WindowMetrics, name string) (float64, bool, error) {
	switch name {
	case "iops":
		return w.IOPS, w.EndNs > w.StartNs, nil
	case "bw":
		return w.BW, w.EndNs > w.StartNs, nil
	}
	q, ok := strings.CutPrefix(name, "latency.")
	if !ok {
		return 0, false, fmt.Errorf("metric %q has no window value", name)
	}
	x, ok := w.Latency.quantile(q)
	if !ok {
		return 0, false, fmt.Errorf("unknown latency statistic %q", q)
	}
	return x, w.Latency.N > 0, nil
}
