package reports

import "sort"

// KeyMetric is one headline number of a run, for JUnit properties, the
// summary table and comparisons.
type KeyMetric struct {
	// Name is a metric name, with the window after a dot for window
	// metrics: "iops.baseline", "latency.p99.baseline", "failover_time".
	Name    string
	Metric  string
	Window  Window
	Value   Value
	Display string
}

// keyMetricDefs are the headline metrics in report order. Per-fault
// metrics are the worst over faults.
var keyMetricDefs = []struct {
	metric string
	window Window
}{
	{"failover_time", ""}, {"io_pause", ""}, {"recovery_time", ""},
	{"iops", WindowBaseline}, {"bw", WindowBaseline},
	{"latency.p50", WindowBaseline}, {"latency.p99", WindowBaseline}, {"latency.p99.9", WindowBaseline},
	{"iops", WindowAll}, {"latency.p99", WindowAll}, {"latency.max", WindowAll},
	{"io_errors", ""}, {"lost_writes", ""}, {"stale_reads", ""}, {"corrupt_blocks", ""},
}

// KeyMetrics returns m's headline metrics (overall, worst fault); a metric
// without samples (empty window) is left out.
func KeyMetrics(m *Metrics) []KeyMetric {
	var out []KeyMetric
	for _, d := range keyMetricDefs {
		spec, _ := LookupMetric(d.metric)
		xs, err := samples(&m.Overall, spec, string(d.window))
		if err != nil || len(xs) == 0 {
			continue
		}
		sort.Float64s(xs)
		k := KeyMetric{Name: d.metric, Metric: d.metric, Window: d.window, Value: Value(xs[len(xs)-1])}
		if d.window != "" {
			k.Name += "." + string(d.window)
		}
		k.Display = FormatValue(spec.Unit, k.Value)
		out = append(out, k)
	}
	return out
}
