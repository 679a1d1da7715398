package scenarios

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/nvmf-chaos/nvmf-chaos/faults"
	"github.com/nvmf-chaos/nvmf-chaos/faults/catalog"
	"github.com/nvmf-chaos/nvmf-chaos/internal/nvmetcp"
	"github.com/nvmf-chaos/nvmf-chaos/reports"
	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// histogramSlot is the time grid of a record's latency histograms (see
// reports.Histograms for why it is coarser than the series).
const histogramSlot = time.Second

// newResult starts the record with what is known before the run.
func (r *Runner) newResult() *reports.Result {
	doc, _ := json.Marshal(r.s)
	h := r.effectiveHost()
	return &reports.Result{
		Scenario: reports.ScenarioInfo{Name: r.s.Metadata.Name, Seed: r.seed, Document: doc},
		Environment: reports.Environment{
			Target: reports.TargetInfo{Kind: r.targetKind(), Backend: cmp.Or(r.s.Cluster.Backend, "local")},
			Host: reports.HostSettings{KATONs: int64(h.KATO), ReconnectDelayNs: int64(h.ReconnectDelay),
				CtrlLossTmoNs: int64(h.CtrlLossTmo), FastIOFailTmoNs: int64(h.FastIOFailTmo), IOTimeoutNs: int64(h.IOTimeout),
				Policy: h.Policy, NrIOQueues: h.NrIOQueues, QueueSize: h.QueueSize, HeaderDigest: h.HeaderDigest, DataDigest: h.DataDigest},
			Machine: reports.CurrentMachine(),
		},
	}
}

// effectiveHost is the scenario's host settings with the host's defaults
// filled in, so a report says what the run used rather than what the
// file left out. Multipath settings apply only when a volume has several
// paths; nr_io_queues and queue_size stay 0 (one queue per worker, each
// iodepth+1 deep).
func (r *Runner) effectiveHost() Host {
	h := r.s.Host
	orDefault := func(d *Duration, def time.Duration) {
		if *d == 0 {
			*d = Duration(def)
		}
	}
	orDefault(&h.KATO, nvmetcp.DefaultKATO)
	orDefault(&h.IOTimeout, nvmetcp.DefaultIOTimeout)
	if !slices.ContainsFunc(r.s.Volumes, func(v Volume) bool { return len(v.Nodes) > 1 }) {
		h.ReconnectDelay, h.CtrlLossTmo, h.FastIOFailTmo, h.Policy = 0, 0, 0, ""
		return h
	}
	orDefault(&h.ReconnectDelay, nvmetcp.DefaultReconnectDelay)
	orDefault(&h.CtrlLossTmo, nvmetcp.DefaultCtrlLossTmo)
	orDefault(&h.FastIOFailTmo, h.CtrlLossTmo.D())
	if h.Policy == "" {
		h.Policy = nvmetcp.PolicyFailover
	}
	return h
}

// faultEvents numbers each fired fault instance from 1, in the order the
// firings happened, and names it by its firing (timeline index and cycle),
// which pairs its inject with its recover: the description cannot, since
// two faults of one kind on one node read alike.
func faultEvents(events []faults.Event) []reports.FaultEvent {
	ids := map[reports.Firing]int{}
	var out []reports.FaultEvent
	for _, e := range events {
		k := reports.Firing{Index: e.Index, Cycle: e.Cycle}
		if _, ok := ids[k]; !ok {
			ids[k] = len(ids) + 1
		}
		phase := reports.FaultInject
		if e.Phase == faults.PhaseRecover {
			phase = reports.FaultRecover
		}
		planned := int64(e.Planned)
		spec, known := catalog.Lookup(e.Kind)
		fe := reports.FaultEvent{Fault: ids[k], Firing: &k, Kind: string(e.Kind), Node: e.Node, Phase: phase,
			AtNs: int64(e.At), PlannedNs: &planned, Immediate: known && spec.Immediate, Err: e.Err}
		if e.EngineAt != nil {
			at := int64(*e.EngineAt)
			fe.EngineAtNs, fe.EngineErrorNs = &at, int64(e.EngineErrorNs)
		}
		if e.Effect != nil {
			fe.Effect = &reports.FaultEffect{TookNs: int64(e.Effect.Took), Err: e.Effect.Err}
		}
		out = append(out, fe)
	}
	return out
}

// workloadRecord merges a workload's jobs into the record reports reads.
// A workload on part of the timeline records when it ran.
func workloadRecord(w Workload, t Timeline, res *workloads.Result) reports.WorkloadRecord {
	rec := reports.WorkloadRecord{Name: w.Name, Volume: w.Volume, GapFloorNs: workloads.GapFloor}
	if w.partial(t) && len(res.Jobs) > 0 {
		a := reports.Span{StartNs: res.Jobs[0].StartNs, EndNs: res.Jobs[0].EndNs}
		for _, j := range res.Jobs[1:] {
			a.StartNs, a.EndNs = min(a.StartNs, j.StartNs), max(a.EndNs, j.EndNs)
		}
		rec.Active = &a
	}
	rec.Series, rec.Histograms = mergeSeries(res)
	var gapLists [][]workloads.Gap
	for _, j := range res.Jobs {
		rec.GapFloorNs = max(rec.GapFloorNs, j.GapFloorNs)
	}
	for _, j := range res.Jobs {
		gapLists = append(gapLists, workloads.DropShortGaps(slices.Clone(j.Gaps), rec.GapFloorNs))
	}
	for _, g := range workloads.DropShortGaps(workloads.IntersectGaps(gapLists), rec.GapFloorNs) {
		rec.Gaps = append(rec.Gaps, reports.Gap{StartNs: g.StartNs, EndNs: g.EndNs, Open: g.EndNs >= res.EndNs})
	}
	for _, e := range res.Errors {
		rec.Errors = append(rec.Errors, reports.ErrorEvent{AtNs: e.AtNs, Job: e.Job, Dir: e.Dir, Offset: e.Offset, Len: e.Len, Err: e.Err})
	}
	rec.ErrorsDropped = res.ErrorsDropped
	rec.Verify = verification(res)
	return rec
}

func verification(res *workloads.Result) *reports.Verification {
	var v *reports.Verification
	for _, j := range res.Jobs {
		if j.Verify == nil {
			continue
		}
		if v == nil {
			v = &reports.Verification{}
		}
		vr := j.Verify
		v.Blocks += vr.Blocks
		v.LostWrites += vr.LostWrites
		v.StaleReads += vr.StaleReads
		v.CorruptBlocks += vr.CorruptBlocks + vr.CorruptReads
		for _, o := range vr.Offenders {
			if len(v.FirstBad) < 16 {
				v.FirstBad = append(v.FirstBad, reports.BadBlock{LBA: int64(o.LBA), Kind: o.Kind,
					Detail: fmt.Sprintf("expected write %d, found %d, at %v", o.Expected, o.Found, time.Duration(o.At))})
			}
		}
	}
	return v
}

// mergeSeries sums the jobs' interval series and merges their latency
// histograms into the series percentiles and the histogram grid. Counts
// keep the Result's interval; latencies come on a grid that may be
// coarser (a long run's recorder widens it to stay bounded), so each
// interval's percentile columns are those of the latency entry it lies in,
// and histogram slots are 1 s or that entry's width, whichever is longer.
func mergeSeries(res *workloads.Result) (reports.Series, reports.Histograms) {
	iv := res.IntervalNs
	liv := max(res.LatencyIntervalNs, iv)
	start := res.MeasureNs / liv * liv
	// A run stopped during its ramp ends before measuring began: its
	// series is empty, not negative.
	n := max(int((res.EndNs-start+iv-1)/iv)+1, 0)
	ln := max(int((res.EndNs-start+liv-1)/liv)+1, 0)
	s := reports.Series{StartNs: start, IntervalNs: iv}
	slotIvs := max(int64(histogramSlot)/liv, 1)
	h := reports.Histograms{StartNs: start, SlotNs: slotIvs * liv}
	for d, dst := range []*reports.DirSeries{&s.Read, &s.Write} {
		dir := workloads.Direction(d)
		slots := make([]*hdr.Histogram, (int64(ln)+slotIvs-1)/slotIvs)
		pcts := make([]reports.IntervalStats, ln)
		for i := range ln {
			merged := reports.NewLatencyHistogram()
			for _, j := range res.Jobs {
				if in, ok := entryAt(j.Dir(dir).LatencySeries, start+int64(i)*liv, liv); ok {
					if hh, err := in.Latency.Histogram(); err == nil && hh != nil {
						merged.Merge(hh)
					}
				}
			}
			if merged.TotalCount() == 0 {
				continue
			}
			st := &pcts[i]
			st.P50Ns, st.P90Ns, st.P99Ns = merged.ValueAtQuantile(50), merged.ValueAtQuantile(90), merged.ValueAtQuantile(99)
			st.P999Ns, st.MaxNs = merged.ValueAtQuantile(99.9), merged.Max()
			slot := int64(i) / slotIvs
			if slots[slot] == nil {
				slots[slot] = reports.NewLatencyHistogram()
			}
			slots[slot].Merge(merged)
		}
		for i := range n {
			at := start + int64(i)*iv
			var st reports.IntervalStats
			for _, j := range res.Jobs {
				if in, ok := entryAt(j.Dir(dir).Series, at, iv); ok {
					st.IOs += in.IOs
					st.Bytes += in.Bytes
					st.Errors += in.Errors
				}
			}
			if st.IOs > 0 {
				p := pcts[(at-start)/liv]
				st.P50Ns, st.P90Ns, st.P99Ns, st.P999Ns, st.MaxNs = p.P50Ns, p.P90Ns, p.P99Ns, p.P999Ns, p.MaxNs
			}
			dst.Append(st)
		}
		enc := make([]string, len(slots))
		for i, sh := range slots {
			enc[i], _ = reports.EncodeHistogram(sh)
		}
		if d == 0 {
			h.Read = enc
		} else {
			h.Write = enc
		}
	}
	return s, h
}

// entryAt returns the entry of a series of width-long entries that starts
// at at, if the series has it.
func entryAt(series []workloads.Interval, at, width int64) (workloads.Interval, bool) {
	if len(series) == 0 {
		return workloads.Interval{}, false
	}
	k := (at - series[0].StartNs) / width
	if at < series[0].StartNs || k >= int64(len(series)) {
		return workloads.Interval{}, false
	}
	return series[k], true
}

// pathEvents moves the multipath hosts' events onto the run clock.
func (r *Runner) pathEvents() []reports.PathEvent {
	out := slices.Clone(r.remotePathEvents)
	for _, ps := range r.pathSources {
		for _, e := range ps.src.PathEvents() {
			pe := reports.PathEvent{AtNs: int64(e.At.Sub(r.start)), Volume: ps.volume, Path: e.Path,
				Kind: reports.PathEventKind(e.Kind), Detail: e.Detail}
			if e.Kind == "ana-change" || e.Kind == "up" {
				pe.ANAState = e.ANAState.String()
			}
			out = append(out, pe)
		}
	}
	slices.SortStableFunc(out, func(a, b reports.PathEvent) int { return cmp.Compare(a.AtNs, b.AtNs) })
	return out
}
