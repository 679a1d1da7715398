package workloads

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Per-priority latencies, as fio keeps them for jobs with cmdprio options
// (clat_prio): each direction's latency split by the priority the I/Os
// carried, reported when at least two priorities have samples.

// PrioLatency is the latency of one priority's I/Os.
type PrioLatency struct {
	Prio    uint16  `json:"ioprio"`
	Latency Latency `json:"latency"`
}

// prioRecorder collects one worker's latencies per priority.
type prioRecorder [DirTrim]map[uint16]*hdr.Histogram

func (r *prioRecorder) record(d Direction, prio uint16, ns int64) {
	if d >= DirTrim {
		return
	}
	if r[d] == nil {
		r[d] = map[uint16]*hdr.Histogram{}
	}
	h := r[d][prio]
	if h == nil {
		h = newLatencyHistogram()
		r[d][prio] = h
	}
	_ = h.RecordValue(min(max(ns, latencyLowest), latencyHighest)) // as latencyCounts clamps
}

// prioLatencies merges the workers' latencies of direction d by priority.
func prioLatencies(recs []*prioRecorder, d Direction) ([]PrioLatency, error) {
	if d >= DirTrim {
		return nil, nil
	}
	merged := map[uint16]*hdr.Histogram{}
	for _, r := range recs {
		for p, h := range r[d] {
			if merged[p] == nil {
				merged[p] = newLatencyHistogram()
			}
			merged[p].Merge(h)
		}
	}
	var out []PrioLatency
	for _, p := range slices.Sorted(maps.Keys(merged)) {
		l, err := summarize(merged[p])
		if err != nil {
			return nil, err
		}
		out = append(out, PrioLatency{Prio: p, Latency: l})
	}
	return out, nil
}

// mergePrios adds src's per-priority latencies to dst's.
func mergePrios(dst, src []PrioLatency) ([]PrioLatency, error) {
	dst = slices.Clone(dst) // may be a job's own, shared by a report entry
	for _, s := range src {
		i := slices.IndexFunc(dst, func(d PrioLatency) bool { return d.Prio == s.Prio })
		if i < 0 {
			dst = append(dst, s)
			continue
		}
		l, err := mergeLatency(dst[i].Latency, s.Latency)
		if err != nil {
			return nil, err
		}
		dst[i].Latency = l
	}
	slices.SortFunc(dst, func(a, b PrioLatency) int { return int(a.Prio) - int(b.Prio) })
	return dst, nil
}

// FioPrio is one entry of fio's "prios" array.
type FioPrio struct {
	PrioClass int     `json:"prioclass"`
	Prio      int     `json:"prio"`
	PrioHint  int     `json:"priohint"`
	ClatNs    *FioLat `json:"clat_ns,omitempty"`
	LatNs     *FioLat `json:"lat_ns,omitempty"`
}

func prioParts(p uint16) (class, level, hint int) {
	return int(p >> 13), int(p & 7), int(p>>3) & 0x3ff
}

// fioPrios is fio's "prios" array: only with two priorities or more, each
// with clat, or lat with lat_percentiles, as fio reports one of them.
func fioPrios(prios []PrioLatency, rep ReportOptions) ([]FioPrio, error) {
	if len(prios) < 2 {
		return nil, nil
	}
	out := make([]FioPrio, 0, len(prios))
	for _, p := range prios {
		h, err := p.Latency.Histogram()
		if err != nil {
			return nil, err
		}
		l := fioLat(h, rep.percentiles(), !rep.NoClatPercentiles || rep.LatPercentiles, rep.bins)
		e := FioPrio{ClatNs: &l}
		e.PrioClass, e.Prio, e.PrioHint = prioParts(p.Prio)
		if rep.LatPercentiles {
			e.ClatNs, e.LatNs = nil, &l
		}
		out = append(out, e)
	}
	return out, nil
}

// summarizePrios writes fio's per-priority latency lines and percentiles.
func summarizePrios(b *strings.Builder, d *DirResult, rep ReportOptions) error {
	if len(d.Prios) < 2 {
		return nil
	}
	kind := "clat"
	if rep.LatPercentiles {
		kind = "lat"
	}
	for _, p := range d.Prios {
		h, err := p.Latency.Histogram()
		if err != nil {
			return err
		}
		c, l, hint := prioParts(p.Prio)
		name := fmt.Sprintf("%s prio %d/%d/%d", kind, c, l, hint)
		fmt.Fprintf(b, "     %s (usec): min=%d, max=%d, avg=%.2f, stdev=%.2f\n", name, h.Min()/1000, h.Max()/1000, h.Mean()/1000, h.StdDev()/1000)
		if !rep.NoClatPercentiles || rep.LatPercentiles {
			writePercentiles(b, fmt.Sprintf("%s (%.2f%% of IOs)", name, 100*float64(p.Latency.N)/float64(max(d.Latency.N, 1))), h, rep.percentiles())
		}
	}
	return nil
}

func workerPrios(ws []*worker) []*prioRecorder {
	out := make([]*prioRecorder, 0, len(ws))
	for _, w := range ws {
		if w.prios != nil {
			out = append(out, w.prios)
		}
	}
	return out
}
