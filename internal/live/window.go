package live

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Live histograms use 2 significant digits: 1 % is plenty for a progress
// line and Prometheus buckets, and keeps each histogram near 20 KiB
// instead of the engine's 140 KiB.
const (
	histLowest  = int64(1e3)  // 1 µs in ns
	histHighest = int64(60e9) // 60 s
	histDigits  = 2
)

func newHist() *hdr.Histogram { return hdr.New(histLowest, histHighest, histDigits) }

// ringSize is how many interval slots a workload keeps: enough for the
// recent window (at most ringSize-2 intervals) plus late arrivals.
const ringSize = 32

// slot is one interval of a workload, all its workers and directions
// merged.
type slot struct {
	idx              int64 // interval index (StartNs / interval); -1: empty
	ios, bytes, errs int64
	hist             *hdr.Histogram
}

// ring holds the workload's most recent intervals by index.
type ring struct {
	slots [ringSize]slot
}

func newRing() *ring {
	r := &ring{}
	for i := range r.slots {
		r.slots[i] = slot{idx: -1, hist: newHist()}
	}
	return r
}

// add books an interval; one older than what its slot holds is too late
// to be shown and is dropped (the counters still have it).
func (r *ring) add(idx, ios, bytes, errs int64, h *hdr.Histogram) {
	s := &r.slots[idx%ringSize]
	if s.idx > idx {
		return
	}
	if s.idx != idx {
		s.idx, s.ios, s.bytes, s.errs = idx, 0, 0, 0
		s.hist.Reset()
	}
	s.ios, s.bytes, s.errs = s.ios+ios, s.bytes+bytes, s.errs+errs
	if h != nil {
		s.hist.Merge(h)
	}
}

// window sums the intervals [from, to) into into (reset first).
func (r *ring) window(from, to int64, into *hdr.Histogram) (ios, bytes, errs int64) {
	into.Reset()
	for i := range r.slots {
		s := &r.slots[i]
		if s.idx >= from && s.idx < to {
			ios, bytes, errs = ios+s.ios, bytes+s.bytes, errs+s.errs
			into.Merge(s.hist)
		}
	}
	return ios, bytes, errs
}
