package reports

import (
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Options tune metric computation; the zero value of a field takes its
// default (DefaultOptions).
type Options struct {
	// StallFloor and StallFactor set the stall threshold: a gap counts as an
	// I/O stall when longer than max(StallFloor, StallFactor × baseline p99).
	StallFloor  time.Duration `json:"stallFloorNs"`
	StallFactor float64       `json:"stallFactor"`
	// MinHorizon is the shortest stretch after an inject in which a gap
	// may start and count as that fault's; a fault's horizon is its
	// duration when longer.
	MinHorizon time.Duration `json:"minHorizonNs"`
	// SteadyFraction of baseline IOPS held for SteadyFor ends recovery.
	SteadyFraction float64       `json:"steadyFraction"`
	SteadyFor      time.Duration `json:"steadyForNs"`
}

// DefaultOptions are docs/ARCHITECTURE.md's definitions.
func DefaultOptions() Options {
	return Options{StallFloor: 10 * time.Millisecond, StallFactor: 10, MinHorizon: time.Second,
		SteadyFraction: 0.9, SteadyFor: 3 * time.Second}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.StallFloor <= 0 {
		o.StallFloor = d.StallFloor
	}
	if o.StallFactor <= 0 {
		o.StallFactor = d.StallFactor
	}
	if o.MinHorizon <= 0 {
		o.MinHorizon = d.MinHorizon
	}
	if o.SteadyFraction <= 0 {
		o.SteadyFraction = d.SteadyFraction
	}
	if o.SteadyFor <= 0 {
		o.SteadyFor = d.SteadyFor
	}
	return o
}

// Metrics are the numbers a run is judged by, per workload and overall.
type Metrics struct {
	Options Options `json:"options"`
	// Overall combines the workloads: counts, IOPS and bandwidth are
	// summed, latency is the merged distribution, and each fault's
	// failover_time, io_pause and recovery_time are the worst any
	// workload saw (an application whose volume stalls is down whatever
	// its neighbours do; completions of one workload must not hide
	// another's stall, so gaps are never pooled across workloads).
	Overall   WorkloadMetrics   `json:"overall"`
	Workloads []WorkloadMetrics `json:"workloads"`
}

// WorkloadMetrics are one workload's metrics (or the overall combination).
type WorkloadMetrics struct {
	Workload string `json:"workload"`
	// StallThresholdNs is max(StallFloor, StallFactor × baseline p99).
	StallThresholdNs int64           `json:"stallThresholdNs"`
	Windows          []WindowMetrics `json:"windows"`
	Faults           []FaultMetrics  `json:"faults,omitempty"`
	// IOErrors counts failed I/Os over the measured run (warmup excluded).
	IOErrors      int64    `json:"ioErrors"`
	LostWrites    int64    `json:"lostWrites"`
	StaleReads    int64    `json:"staleReads"`
	CorruptBlocks int64    `json:"corruptBlocks"`
	Notes         []string `json:"notes,omitempty"`
}

// WindowMetrics are throughput and latency over one window. Fault is the
// fault instance of a fault or recovery window, 0 otherwise; With is the
// workload whose run an overlap window is. StartNs and
// EndNs are the window as defined; counts cover the series intervals it
// spans (baseline and all: intervals wholly inside; fault and recovery:
// every interval touched), latency the histogram slots likewise.
type WindowMetrics struct {
	Window  Window       `json:"window"`
	Fault   int          `json:"fault,omitempty"`
	With    string       `json:"with,omitempty"`
	StartNs int64        `json:"startNs"`
	EndNs   int64        `json:"endNs"`
	IOs     int64        `json:"ios"`
	Bytes   int64        `json:"bytes"`
	Errors  int64        `json:"errors"`
	IOPS    float64      `json:"iops"`
	BW      float64      `json:"bw"`
	Latency LatencyStats `json:"latency"`
}

// FaultMetrics are the availability metrics of one fault instance.
type FaultMetrics struct {
	Fault     int    `json:"fault"`
	Kind      string `json:"kind"`
	Node      string `json:"node,omitempty"`
	InjectNs  int64  `json:"injectNs"`
	RecoverNs int64  `json:"recoverNs"`
	// FailoverTimeNs runs from inject to the first successful completion
	// after the longest gap starting in [inject − baseline p99.9,
	// horizon]; 0 when that gap is within the stall threshold.
	FailoverTimeNs int64 `json:"failoverTimeNs"`
	// IOPauseNs is that longest gap (0 when no gap over the recorder's
	// floor started in range), PauseStartNs/PauseEndNs its ends.
	IOPauseNs    int64 `json:"ioPauseNs"`
	PauseStartNs int64 `json:"pauseStartNs,omitempty"`
	PauseEndNs   int64 `json:"pauseEndNs,omitempty"`
	// IOResumed is false when no I/O completed after the pause before the
	// record ended: failover_time and io_pause are then unbounded, and
	// the fields hold lower bounds (up to the end of the record).
	IOResumed bool `json:"ioResumed"`
	// RecoveryTimeNs runs from inject to the start of the first SteadyFor
	// at SteadyFraction of baseline IOPS, never before I/O resumed;
	// Recovered is false when the run ended first: the time is then
	// unbounded and the field holds a lower bound (inject to the end of
	// measurement).
	RecoveryTimeNs int64 `json:"recoveryTimeNs"`
	Recovered      bool  `json:"recovered"`
	// Workload is, in Overall, the workload that saw the worst failover.
	Workload string `json:"workload,omitempty"`
	// Idle says the workload was not running at inject (it ran for part
	// of the timeline only): the fault's metrics are not its to report,
	// and Overall and SLOs leave it out.
	Idle bool   `json:"idle,omitempty"`
	Err  string `json:"error,omitempty"`
}

// Compute derives every metric from the record. It is a pure function of r;
// a record that fails Validate is an error, never a panic.
func Compute(r *Result, opts Options) (*Metrics, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("invalid record: %w", err)
	}
	opts = opts.withDefaults()
	t := buildTimeline(r, opts.MinHorizon)
	m := &Metrics{Options: opts}
	hists := make([][]*hdr.Histogram, len(r.Workloads))
	parts := partialRuns(r)
	for i := range r.Workloads {
		wm, wh, err := computeWorkload(&r.Workloads[i], t, parts, opts)
		if err != nil {
			return nil, fmt.Errorf("workload %q: %w", r.Workloads[i].Name, err)
		}
		m.Workloads = append(m.Workloads, wm)
		hists[i] = wh
	}
	partial := make([]bool, len(r.Workloads))
	for i := range r.Workloads {
		partial[i] = r.Workloads[i].Active != nil
	}
	m.Overall = combine(m.Workloads, hists, partial, t)
	return m, nil
}

// windowDefs lists the windows of a run in report order, with the rounding
// rule of each (see gridRange).
type windowDef struct {
	w      Window
	fault  int
	with   string
	s      span
	inward bool
}

func baseWindows(t timeline) []windowDef {
	return []windowDef{{w: WindowBaseline, s: t.baseline, inward: true}, {w: WindowAll, s: t.measure, inward: true}}
}

// computeWorkload returns the workload's metrics and the merged histogram of
// each window in Windows order, for the overall combination.
func computeWorkload(w *WorkloadRecord, t timeline, parts []partialRun, o Options) (WorkloadMetrics, []*hdr.Histogram, error) {
	m := WorkloadMetrics{Workload: w.Name}
	t, overlaps := workloadWindows(t, w, parts)
	slots, err := decodeSlots(&w.Histograms)
	if err != nil {
		return m, nil, err
	}
	ser := newIOSeries(&w.Series)
	var hists []*hdr.Histogram
	add := func(d windowDef) WindowMetrics {
		wm, h := windowMetrics(d, ser, slots)
		m.Windows = append(m.Windows, wm)
		hists = append(hists, h)
		return wm
	}
	base := add(baseWindows(t)[0])
	add(baseWindows(t)[1])
	for _, d := range overlaps {
		add(d)
	}
	m.StallThresholdNs = max(int64(o.StallFloor), int64(o.StallFactor*float64(base.Latency.P99Ns)))
	if w.GapFloorNs > m.StallThresholdNs && len(t.faults) > 0 {
		m.Notes = append(m.Notes, fmt.Sprintf("the recorder kept only gaps of %v or more (too many shorter ones to keep): "+
			"shorter stalls are not seen", time.Duration(w.GapFloorNs)))
	}
	if base.IOs == 0 && len(t.faults) > 0 {
		m.Notes = append(m.Notes, "empty baseline: stall threshold is the floor and recovery_time is not meaningful")
	}
	// A gap may start up to baseline p99.9 before its inject; never less
	// than the recorder's gap floor, the precision of a gap's start, so a
	// baseline too short to measure p99.9 does not hide a stall that began
	// a few microseconds before the inject call returned.
	lookback := max(base.Latency.P999Ns, w.GapFloorNs)
	for _, f := range t.faults {
		if idleAt(w, f.inject) {
			m.Faults = append(m.Faults, FaultMetrics{Fault: f.id, Kind: f.kind, Node: f.node, InjectNs: f.inject,
				RecoverNs: f.recover, Idle: true, IOResumed: true, Recovered: true})
			add(windowDef{w: WindowFault, fault: f.id, s: span{f.inject, f.recover}})
			continue
		}
		fm := failover(w.Gaps, f, lookback, m.StallThresholdNs)
		fm.RecoveryTimeNs, fm.Recovered = ser.recovery(f.inject, base.IOPS, t.measure.end, o)
		// I/O is not steady before it resumes; the series' interval grid
		// alone could say so by up to one interval.
		fm.RecoveryTimeNs = max(fm.RecoveryTimeNs, fm.FailoverTimeNs)
		fm.Recovered = fm.Recovered && fm.IOResumed
		if !fm.Recovered {
			fm.RecoveryTimeNs = max(t.measure.end-f.inject, 0)
		}
		m.Faults = append(m.Faults, fm)
		add(windowDef{w: WindowFault, fault: f.id, s: span{f.inject, f.recover}})
		if end := recoveryEnd(fm, t.measure.end); end > f.recover {
			add(windowDef{w: WindowRecovery, fault: f.id, s: span{f.recover, end}})
		}
	}
	m.IOErrors = measuredErrors(ser, t.measure)
	if v := w.Verify; v != nil {
		m.LostWrites, m.StaleReads, m.CorruptBlocks = v.LostWrites, v.StaleReads, v.CorruptBlocks
	}
	return m, hists, nil
}

// measuredErrors counts failed I/Os from the first interval wholly after
// warmup to the last interval the measurement touches: an error in the
// final partial interval is one the workload saw, and must not be dropped
// the way a throughput window drops partial intervals.
func measuredErrors(ser *ioSeries, s span) int64 {
	i, _ := gridRange(s, ser.startNs, ser.intervalNs, ser.len(), true)
	_, j := gridRange(s, ser.startNs, ser.intervalNs, ser.len(), false)
	_, _, errs := ser.sum(i, max(i, j))
	return errs
}

// recoveryEnd is when a fault's recovery window closes: steady again, or
// the end of measurement when it never was.
func recoveryEnd(f FaultMetrics, measureEnd int64) int64 {
	if !f.Recovered {
		return measureEnd
	}
	return f.InjectNs + f.RecoveryTimeNs
}

func windowMetrics(d windowDef, ser *ioSeries, slots *slotHistograms) (WindowMetrics, *hdr.Histogram) {
	wm := WindowMetrics{Window: d.w, Fault: d.fault, With: d.with, StartNs: d.s.start, EndNs: d.s.end}
	i, j := gridRange(d.s, ser.startNs, ser.intervalNs, ser.len(), d.inward)
	wm.IOs, wm.Bytes, wm.Errors = ser.sum(i, j)
	if secs := float64(int64(j-i)*ser.intervalNs) / 1e9; secs > 0 {
		wm.IOPS, wm.BW = float64(wm.IOs)/secs, float64(wm.Bytes)/secs
	}
	si, sj := gridRange(d.s, slots.startNs, slots.slotNs, len(slots.slots), d.inward)
	h := slots.merge(si, sj)
	wm.Latency = latencyStats(h)
	return wm, h
}
