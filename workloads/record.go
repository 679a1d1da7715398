package workloads

import (
	"fmt"
	"sort"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// dirRecorder records one worker's completions in one direction. The hot
// path is a dense histogram increment and three additions; at an interval
// boundary the dense histogram is folded into a packed one and cleared.
//
// What it keeps for the Result is bounded whatever the run's length (a
// one-hour soak must not grow the host): counts live on a grid that starts
// at the recording interval and doubles its width, merging neighbours, when
// it would exceed maxSeriesIntervals entries; latency histograms live on a
// grid of their own that doubles the same way when their packed bytes
// exceed maxLatencyBytes. Counts are cheap and recovery_time is computed
// from them, so they stay fine far longer than histograms (a few hundred
// bytes to a few KiB each). Merging is exact: totals and run percentiles do
// not depend on the widths, only the time resolution does.
type dirRecorder struct {
	interval int64 // ns
	latency  bool  // record latencies (off only to measure the recorder's cost)

	counts           latencyCounts  // this interval's latencies, folded by flush
	cur              *hdr.Histogram // the interval's histogram for obs (nil without obs)
	curIdx, curEnd   int64          // interval index of cur and the end of that interval
	ios, bytes, errs int64          // current interval
	touched          bool

	// series holds counts per scale intervals, lats histograms per
	// latScale intervals (both powers of two; entries are indexed in
	// their own width); latBytes is the lats' packed size.
	series          []recInterval
	lats            []recLatency
	scale, latScale int64
	latBytes        int

	// obs, when set, sees every interval before it is cleared (see
	// IntervalObserver); meta labels them.
	obs  IntervalObserver
	meta ClosedInterval
	// discard drops closed intervals after obs saw them: the warmup
	// recorders exist only for live views.
	discard bool
	// warm is the worker's warmup recorder of the same direction, flushed
	// whenever this one opens an interval so the last warmup interval
	// reaches the observer without waiting for the end of the run.
	warm *dirRecorder
}

// Bounds of what one dirRecorder keeps (see dirRecorder). 8192 count
// entries are 256 KiB and keep the 100 ms default for 13 minutes (400 ms
// after an hour); 1 MiB of histograms is about 40 s of 100 ms ones at QD32,
// and some 100 entries once each holds the run's whole latency spread.
const (
	maxSeriesIntervals = 8192
	maxLatencyBytes    = 1 << 20
)

// recInterval is one worker's counts over one entry of its count grid.
type recInterval struct {
	idx              int64
	ios, bytes, errs int64
}

// recLatency is one worker's latencies over one entry of its latency grid.
type recLatency struct {
	idx  int64
	hist *hdr.PackedHistogram
}

func newDirRecorder(interval int64, latency bool) dirRecorder {
	r := dirRecorder{interval: interval, latency: latency, curEnd: -1, scale: 1, latScale: 1}
	if latency {
		r.counts = newLatencyCounts()
	}
	return r
}

// record books one completion at run-clock time at. A completion that
// arrives slightly out of order stays in the current interval.
func (r *dirRecorder) record(at, latency int64, size int, failed bool) {
	if at >= r.curEnd {
		r.flush()
		if r.warm != nil {
			r.warm.flush()
		}
		r.curIdx = at / r.interval
		r.curEnd = (r.curIdx + 1) * r.interval
	}
	r.touched = true
	if failed {
		r.errs++
		return
	}
	r.ios++
	r.bytes += int64(size)
	if r.latency {
		r.counts.add(latency)
	}
}

// clear drops what was recorded so far (the observer still sees it): the
// measurement starts over, at the recording interval's resolution.
func (r *dirRecorder) clear() {
	r.flush()
	r.series, r.lats = r.series[:0], nil
	r.scale, r.latScale, r.latBytes = 1, 1, 0
}

// flush closes the current interval.
func (r *dirRecorder) flush() {
	if !r.touched {
		return
	}
	if r.cur != nil {
		r.counts.fold(r.cur) // for the observer
	}
	r.observe()
	if r.discard {
		if r.cur != nil {
			r.cur.Reset()
		} else if r.latency {
			r.counts.fold(nil)
		}
		r.ios, r.bytes, r.errs, r.touched = 0, 0, 0, false
		return
	}
	r.addCounts(recInterval{idx: r.curIdx / r.scale, ios: r.ios, bytes: r.bytes, errs: r.errs})
	if r.latency {
		r.addLatency()
	}
	r.ios, r.bytes, r.errs, r.touched = 0, 0, 0, false
}

// addCounts books a closed interval into the count grid; intervals only
// move forward, so it is the last entry or a new one.
func (r *dirRecorder) addCounts(iv recInterval) {
	if n := len(r.series); n > 0 && r.series[n-1].idx == iv.idx {
		last := &r.series[n-1]
		last.ios, last.bytes, last.errs = last.ios+iv.ios, last.bytes+iv.bytes, last.errs+iv.errs
		return
	}
	r.series = append(r.series, iv)
	if len(r.series) > maxSeriesIntervals {
		r.coarsenCounts()
	}
}

// coarsenCounts doubles the count grid's width, merging neighbours in place.
func (r *dirRecorder) coarsenCounts() {
	r.scale *= 2
	out := r.series[:0]
	for _, iv := range r.series {
		iv.idx /= 2
		if n := len(out); n > 0 && out[n-1].idx == iv.idx {
			last := &out[n-1]
			last.ios, last.bytes, last.errs = last.ios+iv.ios, last.bytes+iv.bytes, last.errs+iv.errs
			continue
		}
		out = append(out, iv)
	}
	r.series = out
}

// addLatency folds the closed interval's latencies into the latency grid.
func (r *dirRecorder) addLatency() {
	idx := r.curIdx / r.latScale
	var h *hdr.PackedHistogram
	if n := len(r.lats); n > 0 && r.lats[n-1].idx == idx {
		h = r.lats[n-1].hist
		r.latBytes -= h.GetMemorySize()
	} else {
		h = newPackedLatency()
		r.lats = append(r.lats, recLatency{idx: idx, hist: h})
	}
	if r.cur != nil {
		h.MergeFrom(r.cur)
		r.cur.Reset()
	} else {
		r.counts.fold(h)
	}
	r.latBytes += h.GetMemorySize()
	for r.latBytes > maxLatencyBytes && len(r.lats) > 1 {
		r.coarsenLatency()
	}
}

// coarsenLatency doubles the latency grid's width, merging neighbours.
func (r *dirRecorder) coarsenLatency() {
	r.latScale *= 2
	out := r.lats[:0]
	r.latBytes = 0
	for _, l := range r.lats {
		l.idx /= 2
		if n := len(out); n > 0 && out[n-1].idx == l.idx {
			r.latBytes -= out[n-1].hist.GetMemorySize()
			out[n-1].hist.Merge(l.hist)
			r.latBytes += out[n-1].hist.GetMemorySize()
			continue
		}
		out = append(out, l)
		r.latBytes += l.hist.GetMemorySize()
	}
	clear(r.lats[len(out):]) // let the merged-away histograms go
	r.lats = out
}

// recorderScales returns the widths (in recording intervals) every
// recorder of a Result is brought to: the coarsest of each grid, the
// latency grid never finer than the count grid, so that each count entry
// lies in exactly one latency entry.
func recorderScales(recs []*dirRecorder) (scale, latScale int64) {
	scale, latScale = 1, 1
	for _, r := range recs {
		r.flush()
		scale, latScale = max(scale, r.scale), max(latScale, r.latScale)
	}
	return scale, max(latScale, scale)
}

// mergeDir builds a job's DirResult from its workers' recorders, covering
// recording intervals [firstIdx, lastIdx] on the count grid of scale
// intervals (Series) and the latency grid of latScale intervals
// (LatencySeries), with empty entries where nothing completed. The
// recorders must be flushed (recorderScales does).
func mergeDir(recs []*dirRecorder, firstIdx, lastIdx, interval, scale, latScale int64) (DirResult, error) {
	var d DirResult
	cFirst, lFirst := firstIdx/scale, firstIdx/latScale
	n := max(lastIdx/scale-cFirst+1, 0)
	if lastIdx < firstIdx {
		n = 0
	}
	ln := max(lastIdx/latScale-lFirst+1, 0)
	if n == 0 {
		ln = 0
	}
	d.Series = make([]Interval, n)
	d.LatencySeries = make([]Interval, ln)
	hists := make([]*hdr.PackedHistogram, ln)
	run := newLatencyHistogram()
	for _, r := range recs {
		for _, iv := range r.series {
			// Entries of a finer grid than the Result's fold into the
			// coarser one: widths are powers of two of one interval.
			ci := iv.idx * r.scale / scale
			i := ci - cFirst
			if i < 0 || i >= n {
				continue // outside the measured window
			}
			m := &d.Series[i]
			m.IOs, m.Bytes, m.Errors = m.IOs+iv.ios, m.Bytes+iv.bytes, m.Errors+iv.errs
			if k := ci*scale/latScale - lFirst; k >= 0 && k < ln {
				l := &d.LatencySeries[k]
				l.IOs, l.Bytes, l.Errors = l.IOs+iv.ios, l.Bytes+iv.bytes, l.Errors+iv.errs
			}
		}
		for _, l := range r.lats {
			k := l.idx*r.latScale/latScale - lFirst
			if k < 0 || k >= ln {
				continue
			}
			if hists[k] == nil {
				hists[k] = l.hist
			} else {
				hists[k].Merge(l.hist)
			}
			l.hist.MergeInto(run)
		}
	}
	for i := range d.Series {
		m := &d.Series[i]
		m.StartNs = (cFirst + int64(i)) * scale * interval
		d.IOs, d.Bytes, d.Errors = d.IOs+m.IOs, d.Bytes+m.Bytes, d.Errors+m.Errors
	}
	for k := range d.LatencySeries {
		lat, err := summarizePacked(hists[k])
		if err != nil {
			return d, err
		}
		d.LatencySeries[k].StartNs, d.LatencySeries[k].Latency = (lFirst+int64(k))*latScale*interval, lat
	}
	lat, err := summarize(run)
	d.Latency = lat
	return d, err
}

// percentiles reported in Latency, in its field order.
var summaryPercentiles = []float64{50, 90, 99, 99.9, 99.99}

func summarize(h *hdr.Histogram) (Latency, error) {
	if h.TotalCount() == 0 {
		return Latency{}, nil
	}
	enc, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return Latency{}, fmt.Errorf("encoding latency histogram: %w", err)
	}
	l := Latency{N: h.TotalCount(), MinNs: h.Min(), MaxNs: h.Max(), MeanNs: h.Mean(), StddevNs: h.StdDev(), HDR: string(enc)}
	l.setPercentiles(h.ValueAtPercentilesSlice(summaryPercentiles))
	return l, nil
}

func summarizePacked(h *hdr.PackedHistogram) (Latency, error) {
	if h == nil || h.TotalCount() == 0 {
		return Latency{}, nil
	}
	enc, err := h.Encode()
	if err != nil {
		return Latency{}, fmt.Errorf("encoding latency histogram: %w", err)
	}
	l := Latency{N: h.TotalCount(), MinNs: h.Min(), MaxNs: h.Max(), MeanNs: h.Mean(), StddevNs: h.StdDev(), HDR: string(enc)}
	l.setPercentiles(h.ValueAtPercentilesSlice(summaryPercentiles))
	return l, nil
}

func (l *Latency) setPercentiles(v []int64) {
	l.P50Ns, l.P90Ns, l.P99Ns, l.P999Ns, l.P9999Ns = v[0], v[1], v[2], v[3], v[4]
}

// mergeErrors joins the workers' error records in completion order, keeping
// at most maxErrorEvents.
func mergeErrors(lists [][]ErrorEvent, dropped int64) ([]ErrorEvent, int64) {
	var all []ErrorEvent
	for _, l := range lists {
		all = append(all, l...)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].AtNs < all[j].AtNs })
	if len(all) > maxErrorEvents {
		dropped += int64(len(all) - maxErrorEvents)
		all = all[:maxErrorEvents]
	}
	return all, dropped
}
