package scenarios

import (
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// stallResult is a one-job run of 60 s at 10k reads/s (100 µs each) that
// stops completing from stallFrom to stallTo, recorded with counts every
// scale and latencies every latScale 100 ms intervals, as a long run's
// bounded recorder leaves it.
func stallResult(t *testing.T, scale, latScale, stallFrom, stallTo int64) *workloads.Result {
	t.Helper()
	const iv, end, perIv = int64(100 * time.Millisecond), int64(60 * time.Second), 1000
	res := &workloads.Result{MeasureNs: int64(time.Second), EndNs: end, IntervalNs: iv * scale, LatencyIntervalNs: iv * latScale}
	var d workloads.DirResult
	var lat []*hdr.Histogram
	for at := int64(0); at < end; at += iv {
		n := int64(perIv)
		if at+iv > stallFrom && at < stallTo {
			n = perIv * (max(stallFrom-at, 0) + max(at+iv-stallTo, 0)) / iv
		}
		if k := int((at - 0) / (iv * scale)); k == len(d.Series) {
			d.Series = append(d.Series, workloads.Interval{StartNs: int64(k) * iv * scale})
		}
		s := &d.Series[len(d.Series)-1]
		s.IOs, s.Bytes = s.IOs+n, s.Bytes+4096*n
		if k := int(at / (iv * latScale)); k == len(lat) {
			lat = append(lat, reports.NewLatencyHistogram())
			d.LatencySeries = append(d.LatencySeries, workloads.Interval{StartNs: int64(k) * iv * latScale})
		}
		l := &d.LatencySeries[len(d.LatencySeries)-1]
		l.IOs, l.Bytes = l.IOs+n, l.Bytes+4096*n
		if n > 0 {
			if err := lat[len(lat)-1].RecordValues(100_000, n); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, h := range lat {
		enc, err := reports.EncodeHistogram(h)
		if err != nil {
			t.Fatal(err)
		}
		d.LatencySeries[i].Latency = workloads.Latency{N: h.TotalCount(), HDR: enc}
	}
	res.Jobs = []workloads.JobResult{{Name: "w", EndNs: end, Read: d,
		Gaps: []workloads.Gap{{StartNs: stallFrom, EndNs: stallTo}}}}
	return res
}

// Failover metrics of a run whose series a long recording coarsened:
// failover_time and io_pause come from gaps and stay exact; recovery_time
// comes from the counts and stays within one (coarser) interval.
func TestCoarseSeriesKeepsFailoverExact(t *testing.T) {
	inject, recover := int64(20*time.Second), int64(22*time.Second)
	from, to := inject+3_170_000, inject+2_513_000_000 // not on any grid
	metrics := func(scale, latScale int64) reports.FaultMetrics {
		res := stallResult(t, scale, latScale, from, to)
		r := &reports.Result{Scenario: reports.ScenarioInfo{Name: "coarse"}, EndNs: res.EndNs,
			Phases: []reports.PhaseMark{{Phase: reports.PhaseWarmupEnd, AtNs: res.MeasureNs}, {Phase: reports.PhaseMeasureEnd, AtNs: res.EndNs}},
			Faults: []reports.FaultEvent{{Fault: 1, Kind: "process-pause", Node: "tgt-a", Phase: reports.FaultInject, AtNs: inject},
				{Fault: 1, Kind: "process-pause", Node: "tgt-a", Phase: reports.FaultRecover, AtNs: recover}},
			Workloads: []reports.WorkloadRecord{workloadRecord(Workload{Name: "w", Volume: "vol0"}, Timeline{}, res)}}
		m, err := reports.Compute(r, reports.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Workloads[0].Faults) != 1 {
			t.Fatalf("%d faults measured, want 1", len(m.Workloads[0].Faults))
		}
		return m.Workloads[0].Faults[0]
	}
	fine, coarse := metrics(1, 1), metrics(4, 32) // 100 ms; 400 ms counts, 3.2 s latency
	for _, f := range []reports.FaultMetrics{fine, coarse} {
		if f.FailoverTimeNs != to-inject || f.IOPauseNs != to-from || !f.IOResumed {
			t.Errorf("failover %v, pause %v (resumed %v): want %v and %v", time.Duration(f.FailoverTimeNs),
				time.Duration(f.IOPauseNs), f.IOResumed, time.Duration(to-inject), time.Duration(to-from))
		}
		if !f.Recovered || f.RecoveryTimeNs < f.FailoverTimeNs {
			t.Errorf("recovery %v (recovered %v): want at least the failover time", time.Duration(f.RecoveryTimeNs), f.Recovered)
		}
	}
	if d := coarse.RecoveryTimeNs - fine.RecoveryTimeNs; d < 0 || d > int64(400*time.Millisecond) {
		t.Errorf("recovery %v coarse, %v fine: want within one 400 ms interval", time.Duration(coarse.RecoveryTimeNs), time.Duration(fine.RecoveryTimeNs))
	}
}
