package workloads

import (
	"fmt"
	"sort"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// dirRecorder records one worker's completions in one direction. The hot
// path is a dense histogram increment and three additions; at an interval
// boundary the dense histogram is folded into a packed one (a few hundred
// bytes) and cleared, so memory grows with populated buckets, not with time.
type dirRecorder struct {
	interval int64 // ns
	latency  bool  // record latencies (off only to measure the recorder's cost)

	counts           latencyCounts  // this interval's latencies, folded by flush
	cur              *hdr.Histogram // the interval's histogram for obs (nil without obs)
	curIdx, curEnd   int64          // interval index of cur and the end of that interval
	ios, bytes, errs int64          // current interval
	series           []recInterval
	touched          bool

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

// recInterval is one worker's completed interval.
type recInterval struct {
	idx              int64
	ios, bytes, errs int64
	hist             *hdr.PackedHistogram
}

func newDirRecorder(interval int64, latency bool) dirRecorder {
	r := dirRecorder{interval: interval, latency: latency, curEnd: -1}
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
// measurement starts over.
func (r *dirRecorder) clear() {
	r.flush()
	r.series = r.series[:0]
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
	iv := recInterval{idx: r.curIdx, ios: r.ios, bytes: r.bytes, errs: r.errs}
	if r.latency {
		iv.hist = newPackedLatency()
		if r.cur != nil {
			iv.hist.MergeFrom(r.cur)
			r.cur.Reset()
		} else {
			r.counts.fold(iv.hist)
		}
	}
	r.series = append(r.series, iv)
	r.ios, r.bytes, r.errs, r.touched = 0, 0, 0, false
}

// mergeDir builds a job's DirResult from its workers' recorders, covering
// intervals [firstIdx, lastIdx] with empty entries where nothing completed.
func mergeDir(recs []*dirRecorder, firstIdx, lastIdx, interval int64) (DirResult, error) {
	var d DirResult
	n := max(lastIdx-firstIdx+1, 0)
	ivs := make([]recInterval, n)
	run := newLatencyHistogram()
	for _, r := range recs {
		r.flush()
		for _, iv := range r.series {
			i := iv.idx - firstIdx
			if i < 0 || i >= n {
				continue // outside the measured window
			}
			m := &ivs[i]
			m.ios, m.bytes, m.errs = m.ios+iv.ios, m.bytes+iv.bytes, m.errs+iv.errs
			if iv.hist == nil {
				continue
			}
			if m.hist == nil {
				m.hist = iv.hist
			} else {
				m.hist.Merge(iv.hist)
			}
			iv.hist.MergeInto(run)
		}
	}
	d.Series = make([]Interval, n)
	for i, m := range ivs {
		lat, err := summarizePacked(m.hist)
		if err != nil {
			return d, err
		}
		d.Series[i] = Interval{StartNs: (firstIdx + int64(i)) * interval, IOs: m.ios, Bytes: m.bytes, Errors: m.errs, Latency: lat}
		d.IOs, d.Bytes, d.Errors = d.IOs+m.ios, d.Bytes+m.bytes, d.Errors+m.errs
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
