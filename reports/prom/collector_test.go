package prom

import (
	"math"
	"strings"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/nvmf-chaos/nvmf-chaos/internal/live"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
)

// lat builds an engine-like histogram holding n values of each latency.
func lat(t *testing.T, vals map[time.Duration]int64) *hdr.Histogram {
	t.Helper()
	h := hdr.New(1e3, 60e9, 3)
	for v, n := range vals {
		if err := h.RecordValues(int64(v), n); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

const ms = int64(time.Millisecond)

// Directions of a live.Interval.
const (
	read  = 0
	write = 1
)

// interval is a live.Interval of 100 ms starting at interval idx.
func interval(job string, dir int, idx, ios int64, h *hdr.Histogram) live.Interval {
	return live.Interval{Job: job, Dir: dir, StartNs: idx * 100 * ms, LengthNs: 100 * ms,
		IOs: ios, Bytes: ios * 4096, Latency: h}
}

func verdicts() *reports.Result {
	return &reports.Result{Evaluation: &reports.Evaluation{Pass: false, Verdicts: []reports.Verdict{
		{SLO: reports.SLO{Metric: "failover_time", Max: "2s"}, Threshold: "<= 2s", Measured: 1.5e9, Pass: true},
		{SLO: reports.SLO{Metric: "iops", Window: "baseline", Min: "20000"}, Threshold: ">= 20k", Measured: 15000, Pass: false},
		{SLO: reports.SLO{Metric: "iops", Window: "baseline", Min: "20000"}, Threshold: ">= 20k", Measured: 15000, Pass: false},
	}}}
}

// TestCollectorSeries feeds a Run sequences of intervals and events and
// checks the exposition of the simple series.
func TestCollectorSeries(t *testing.T) {
	tests := []struct {
		name    string
		feed    func(r *live.Run, e *Exporter)
		metrics []string
		want    string
	}{
		{"counters sum intervals per direction", func(r *live.Run, e *Exporter) {
			o := r.Workload("oltp", "vol0")
			o.Observe(interval("j", read, 0, 100, nil))
			o.Observe(interval("j", read, 1, 50, nil))
			iv := interval("j", write, 1, 7, nil)
			iv.Errors = 2
			o.Observe(iv)
		}, []string{MetricIO, MetricIOErrors}, `
# HELP nvmfchaos_io_errors_total I/Os returned to the workload with an error after the host's retries and failover.
# TYPE nvmfchaos_io_errors_total counter
nvmfchaos_io_errors_total{direction="read",scenario="s1",volume="vol0",workload="oltp"} 0
nvmfchaos_io_errors_total{direction="write",scenario="s1",volume="vol0",workload="oltp"} 2
# HELP nvmfchaos_io_total I/Os completed successfully, warmup included.
# TYPE nvmfchaos_io_total counter
nvmfchaos_io_total{direction="read",scenario="s1",volume="vol0",workload="oltp"} 150
nvmfchaos_io_total{direction="write",scenario="s1",volume="vol0",workload="oltp"} 7
`},
		{"bench labels each job as a workload", func(r *live.Run, e *Exporter) {
			o := r.Workload("", "null://1g")
			o.Observe(interval("a", read, 0, 3, nil))
			o.Observe(interval("b", read, 0, 4, nil))
		}, []string{MetricIOBytes}, `
# HELP nvmfchaos_io_bytes_total Bytes transferred by successful I/Os, warmup included.
# TYPE nvmfchaos_io_bytes_total counter
nvmfchaos_io_bytes_total{direction="read",scenario="s1",volume="null://1g",workload="a"} 12288
nvmfchaos_io_bytes_total{direction="read",scenario="s1",volume="null://1g",workload="b"} 16384
nvmfchaos_io_bytes_total{direction="write",scenario="s1",volume="null://1g",workload="a"} 0
nvmfchaos_io_bytes_total{direction="write",scenario="s1",volume="null://1g",workload="b"} 0
`},
		{"faults stay listed at 0 after recovery", func(r *live.Run, e *Exporter) {
			r.Fault("process-kill", "tgt-a", true)
			r.Fault("bdev-delay", "tgt-b", true)
			r.Fault("bdev-delay", "tgt-b", false)
			r.Fault("bdev-delay", "tgt-b", false) // a second recover does not go below 0
		}, []string{MetricFaultActive}, `
# HELP nvmfchaos_fault_active 1 while a fault of this kind is injected on the node, 0 after it recovered.
# TYPE nvmfchaos_fault_active gauge
nvmfchaos_fault_active{kind="bdev-delay",node="tgt-b",scenario="s1"} 0
nvmfchaos_fault_active{kind="process-kill",node="tgt-a",scenario="s1"} 1
`},
		{"path state set has one current state", func(r *live.Run, e *Exporter) {
			r.Path("vol0", "127.0.0.1:4420", "optimized")
			r.Path("vol0", "127.0.0.1:4420", "down")
		}, []string{MetricPathState}, `
# HELP nvmfchaos_path_state 1 for the current state of a host path of a volume, 0 for the other states.
# TYPE nvmfchaos_path_state gauge
nvmfchaos_path_state{path="127.0.0.1:4420",scenario="s1",state="change",volume="vol0"} 0
nvmfchaos_path_state{path="127.0.0.1:4420",scenario="s1",state="down",volume="vol0"} 1
nvmfchaos_path_state{path="127.0.0.1:4420",scenario="s1",state="inaccessible",volume="vol0"} 0
nvmfchaos_path_state{path="127.0.0.1:4420",scenario="s1",state="lost",volume="vol0"} 0
nvmfchaos_path_state{path="127.0.0.1:4420",scenario="s1",state="non_optimized",volume="vol0"} 0
nvmfchaos_path_state{path="127.0.0.1:4420",scenario="s1",state="optimized",volume="vol0"} 0
nvmfchaos_path_state{path="127.0.0.1:4420",scenario="s1",state="persistent_loss",volume="vol0"} 0
`},
		{"verdicts in base units, duplicates once", func(r *live.Run, e *Exporter) { e.Finish(verdicts()) },
			[]string{MetricSLOPass, MetricSLOMeasured, MetricRunPass, MetricRunInfo}, `
# HELP nvmfchaos_run_info Always 1; labels identify the run.
# TYPE nvmfchaos_run_info gauge
nvmfchaos_run_info{command="run",run_id="r1",scenario="s1"} 1
# HELP nvmfchaos_run_pass 1 if every SLO of the run passed, 0 otherwise; set at the end of the run.
# TYPE nvmfchaos_run_pass gauge
nvmfchaos_run_pass{scenario="s1"} 0
# HELP nvmfchaos_slo_measured The value the SLO was judged on, in base units (seconds, counts, I/Os per second, bytes per second).
# TYPE nvmfchaos_slo_measured gauge
nvmfchaos_slo_measured{scenario="s1",slo="failover_time",threshold="<= 2s",window="run"} 1.5
nvmfchaos_slo_measured{scenario="s1",slo="iops",threshold=">= 20k",window="baseline"} 15000
# HELP nvmfchaos_slo_pass 1 if the SLO passed, 0 if it failed; set at the end of the run.
# TYPE nvmfchaos_slo_pass gauge
nvmfchaos_slo_pass{scenario="s1",slo="failover_time",threshold="<= 2s",window="run"} 1
nvmfchaos_slo_pass{scenario="s1",slo="iops",threshold=">= 20k",window="baseline"} 0
`},
		{"no verdicts before the end", func(r *live.Run, e *Exporter) {}, []string{MetricSLOPass, MetricRunPass}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := live.New(live.Info{Scenario: "s1", RunID: "r1", Command: "run"})
			e := New(r)
			tc.feed(r, e)
			if err := testutil.CollectAndCompare(e.Collector(), strings.NewReader(tc.want), tc.metrics...); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestCollectorLatencyHistogram checks the buckets built from interval
// histograms: cumulative, each value in the bucket that holds it, the sum
// within HDR precision, and a second scrape adding only what came since.
func TestCollectorLatencyHistogram(t *testing.T) {
	r := live.New(live.Info{Scenario: "s1"})
	o := r.Workload("oltp", "vol0")
	reg := prometheus.NewRegistry()
	reg.MustRegister(New(r).Collector())
	o.Observe(interval("j", read, 0, 100, lat(t, map[time.Duration]int64{20 * time.Microsecond: 90, 3 * time.Millisecond: 10})))
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
	o.Observe(interval("j", read, 1, 5, lat(t, map[time.Duration]int64{4 * time.Second: 5})))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var h *hdrView
	for _, mf := range mfs {
		if mf.GetName() != MetricLatency {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "direction" && l.GetValue() == "read" {
					h = &hdrView{count: m.GetHistogram().GetSampleCount(), sum: m.GetHistogram().GetSampleSum(), buckets: map[float64]uint64{}}
					for _, b := range m.GetHistogram().GetBucket() {
						h.buckets[b.GetUpperBound()] = b.GetCumulativeCount()
					}
				}
			}
		}
	}
	if h == nil {
		t.Fatal("no read latency histogram")
	}
	wantSum := 90*20e-6 + 10*3e-3 + 5*4.0
	if h.count != 105 || math.Abs(h.sum-wantSum) > wantSum*0.01 {
		t.Errorf("count %d sum %g; want 105, %g", h.count, h.sum, wantSum)
	}
	for le, want := range map[float64]uint64{10e-6: 0, 25e-6: 90, 2.5e-3: 90, 5e-3: 100, 2.5: 100, 5: 105, 10: 105} {
		if h.buckets[le] != want {
			t.Errorf("bucket le=%g: %d, want %d", le, h.buckets[le], want)
		}
	}
}

type hdrView struct {
	count   uint64
	sum     float64
	buckets map[float64]uint64
}
