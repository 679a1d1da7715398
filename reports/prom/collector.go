package prom

import (
	"slices"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nvmf-chaos/nvmf-chaos/internal/live"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// The metric names the exporter registers. Every series also carries the
// scenario label.
const (
	MetricIO          = "nvmfchaos_io_total"
	MetricIOBytes     = "nvmfchaos_io_bytes_total"
	MetricIOErrors    = "nvmfchaos_io_errors_total"
	MetricLatency     = "nvmfchaos_io_latency_seconds"
	MetricFaultActive = "nvmfchaos_fault_active"
	MetricPathState   = "nvmfchaos_path_state"
	MetricSLOPass     = "nvmfchaos_slo_pass"
	MetricSLOMeasured = "nvmfchaos_slo_measured"
	MetricRunPass     = "nvmfchaos_run_pass"
	MetricRunInfo     = "nvmfchaos_run_info"
)

// MetricNames lists every metric family the collector exposes; a histogram
// is listed once, by its base name.
func MetricNames() []string {
	return []string{MetricIO, MetricIOBytes, MetricIOErrors, MetricLatency, MetricFaultActive,
		MetricPathState, MetricSLOPass, MetricSLOMeasured, MetricRunPass, MetricRunInfo}
}

// LatencyBuckets are the upper bounds, in seconds, of the latency
// histogram: from 10 µs (a fast local flash read) to 10 s (I/O held
// through a failover), roughly 1-2.5-5 per decade.
var LatencyBuckets = []float64{
	10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
	1, 2.5, 5, 10,
}

// PathStates are the values of the path_state metric's state label: the
// ANA states (as SPDK spells them) and the host's own down and lost.
var PathStates = []string{"optimized", "non_optimized", "inaccessible", "persistent_loss", "change", "down", "lost"}

// Exporter is a run's Prometheus output: the live counters of run while
// it runs, its verdicts once Finish is given the judged result. Safe for
// concurrent use.
type Exporter struct {
	run *live.Run

	mu   sync.Mutex
	eval *reports.Evaluation
}

// New returns the exporter of run.
func New(run *live.Run) *Exporter { return &Exporter{run: run} }

// Finish records the judged result: the verdict metrics appear, and the
// run's live views learn its verdict. res may be nil, or unjudged (the
// run could not start): nothing is then added.
func (e *Exporter) Finish(res *reports.Result) {
	if res == nil || res.Evaluation == nil {
		return
	}
	e.mu.Lock()
	e.eval = res.Evaluation
	e.mu.Unlock()
	e.run.Finish(res.Evaluation.Pass)
}

func (e *Exporter) evaluation() *reports.Evaluation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.eval
}

// collector exposes an Exporter's run as Prometheus metrics, computed at
// scrape time.
type collector struct {
	e                                   *Exporter
	info                                live.Info
	io, bytes, errs, latency            *prometheus.Desc
	faultActive, pathState              *prometheus.Desc
	sloPass, sloMeasured, pass, runInfo *prometheus.Desc
	grouped                             bool
}

// Collector returns the run's metrics for a registry of the caller's
// (never the global one). Register it once.
func (e *Exporter) Collector() prometheus.Collector { return newCollector(e, false) }

// newCollector builds the collector. grouped leaves out the labels a
// Pushgateway push carries in its grouping key (scenario, run_id): the
// push refuses metrics that repeat them.
func newCollector(e *Exporter, grouped bool) *collector {
	info := e.run.Info()
	c := prometheus.Labels{"scenario": info.Scenario}
	infoLabels := []string{"run_id", "command"}
	if grouped {
		c, infoLabels = nil, infoLabels[1:]
	}
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, c)
	}
	io := []string{"workload", "volume", "direction"}
	slo := []string{"slo", "window", "threshold"}
	return &collector{
		e:           e,
		info:        info,
		io:          desc(MetricIO, "I/Os completed successfully, warmup included.", io...),
		bytes:       desc(MetricIOBytes, "Bytes transferred by successful I/Os, warmup included.", io...),
		errs:        desc(MetricIOErrors, "I/Os returned to the workload with an error after the host's retries and failover.", io...),
		latency:     desc(MetricLatency, "Submit to completion latency of successful I/Os (from HDR histograms, 1% precision).", io...),
		faultActive: desc(MetricFaultActive, "1 while a fault of this kind is injected on the node, 0 after it recovered.", "kind", "node"),
		pathState:   desc(MetricPathState, "1 for the current state of a host path of a volume, 0 for the other states.", "volume", "path", "state"),
		sloPass:     desc(MetricSLOPass, "1 if the SLO passed, 0 if it failed; set at the end of the run.", slo...),
		sloMeasured: desc(MetricSLOMeasured, "The value the SLO was judged on, in base units (seconds, counts, I/Os per second, bytes per second).", slo...),
		pass:        desc(MetricRunPass, "1 if every SLO of the run passed, 0 otherwise; set at the end of the run."),
		runInfo:     desc(MetricRunInfo, "Always 1; labels identify the run.", infoLabels...),
		grouped:     grouped,
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.io, c.bytes, c.errs, c.latency, c.faultActive, c.pathState,
		c.sloPass, c.sloMeasured, c.pass, c.runInfo} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	t := c.e.run.Totals()
	if c.grouped {
		ch <- prometheus.MustNewConstMetric(c.runInfo, prometheus.GaugeValue, 1, c.info.Command)
	} else {
		ch <- prometheus.MustNewConstMetric(c.runInfo, prometheus.GaugeValue, 1, c.info.RunID, c.info.Command)
	}
	for _, w := range t.Workloads {
		c.collectDir(ch, w, "read", w.Read)
		c.collectDir(ch, w, "write", w.Write)
	}
	for _, f := range t.Faults {
		ch <- prometheus.MustNewConstMetric(c.faultActive, prometheus.GaugeValue, boolValue(f.Active), f.Kind, f.Node)
	}
	for _, p := range t.Paths {
		states := PathStates
		if !slices.Contains(states, p.State) {
			states = append(states[:len(states):len(states)], p.State)
		}
		for _, s := range states {
			ch <- prometheus.MustNewConstMetric(c.pathState, prometheus.GaugeValue, boolValue(s == p.State), p.Volume, p.Path, s)
		}
	}
	if ev := c.e.evaluation(); ev != nil {
		c.collectVerdicts(ch, ev)
	}
}

// collectDir emits one workload direction's counters and latency
// histogram.
func (c *collector) collectDir(ch chan<- prometheus.Metric, w live.WorkloadTotals, dir string, t live.DirTotals) {
	ch <- prometheus.MustNewConstMetric(c.io, prometheus.CounterValue, float64(t.IOs), w.Name, w.Volume, dir)
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(t.Bytes), w.Name, w.Volume, dir)
	ch <- prometheus.MustNewConstMetric(c.errs, prometheus.CounterValue, float64(t.Errors), w.Name, w.Volume, dir)
	count, sum, cum := buckets(t.Latency)
	ch <- prometheus.MustNewConstHistogram(c.latency, count, sum, cum, w.Name, w.Volume, dir)
}

// buckets folds a latency histogram (ns) into LatencyBuckets (seconds,
// cumulative): a value counts in the first bucket whose bound holds the
// middle of its HDR range.
func buckets(h *hdr.Histogram) (count uint64, sum float64, cum map[float64]uint64) {
	per := make([]uint64, len(LatencyBuckets)+1)
	if h != nil {
		for _, bar := range h.Distribution() {
			if bar.Count == 0 {
				continue
			}
			mid := float64(bar.From+bar.To) / 2 / 1e9
			i := 0
			for i < len(LatencyBuckets) && mid > LatencyBuckets[i] {
				i++
			}
			per[i] += uint64(bar.Count)
			count += uint64(bar.Count)
			sum += mid * float64(bar.Count)
		}
	}
	cum = make(map[float64]uint64, len(LatencyBuckets))
	var n uint64
	for i, b := range LatencyBuckets {
		n += per[i]
		cum[b] = n
	}
	return count, sum, cum
}

// collectVerdicts emits each SLO's pass and measured value; an SLO written
// twice is shown once.
func (c *collector) collectVerdicts(ch chan<- prometheus.Metric, ev *reports.Evaluation) {
	ch <- prometheus.MustNewConstMetric(c.pass, prometheus.GaugeValue, boolValue(ev.Pass))
	seen := map[string]bool{}
	for _, v := range ev.Verdicts {
		name, window := sloLabels(v.SLO)
		key := name + "\x00" + window + "\x00" + v.Threshold
		if seen[key] {
			continue
		}
		seen[key] = true
		ch <- prometheus.MustNewConstMetric(c.sloPass, prometheus.GaugeValue, boolValue(v.Pass), name, window, v.Threshold)
		ch <- prometheus.MustNewConstMetric(c.sloMeasured, prometheus.GaugeValue, baseUnits(v), name, window, v.Threshold)
	}
}

// sloLabels names an SLO for the slo and window labels: the metric with
// its workload, its reference (vs baseline) and its statistic when not the
// worst, and the window or "run" for SLOs that
// take none (per-fault metrics, counts).
func sloLabels(s reports.SLO) (name, window string) {
	name = s.Metric
	if s.Workload != "" {
		name += "{" + s.Workload + "}"
	}
	if s.Vs != "" {
		name += " vs " + s.Vs
	}
	if s.Of != "" && s.Of != reports.OfWorst {
		name += " " + s.Of
	}
	window = s.Window
	if window == "" {
		window = "run"
	}
	return name, window
}

// baseUnits converts a verdict's measured value to Prometheus base units:
// durations are stored in ns and shown in seconds; a ratio to baseline
// has no unit.
func baseUnits(v reports.Verdict) float64 {
	x := float64(v.Measured)
	if spec, ok := reports.LookupMetric(v.SLO.Metric); ok && spec.Unit == reports.UnitDuration && v.SLO.Vs == "" {
		return x / 1e9
	}
	return x
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
