package htmlreport

import (
	"math"

	"gonum.org/v1/plot/plotter"
)

// envelope reduces a series to at most buckets buckets for a plot, keeping
// each bucket's minimum and maximum in time order: a one-interval stall or
// latency spike in a one-hour run is exactly what the reader looks for, and
// averaging would erase it. ys[i] is plotted at x(i); NaN marks a gap (no
// I/O to measure) and splits the line into segments, so a stall shows as a
// break instead of a line drawn across it. The full series stays in
// results.json.
func envelope(ys []float64, x func(i int) float64, buckets int) []plotter.XYs {
	if len(ys) == 0 || buckets <= 0 {
		return nil
	}
	per := max(1, (len(ys)+buckets-1)/buckets)
	var segs []plotter.XYs
	var cur plotter.XYs
	for lo := 0; lo < len(ys); lo += per {
		hi := min(lo+per, len(ys))
		iMin, iMax := extremes(ys[lo:hi])
		if iMin < 0 {
			if len(cur) > 0 {
				segs = append(segs, cur)
				cur = nil
			}
			continue
		}
		iMin, iMax = iMin+lo, iMax+lo
		first, second := min(iMin, iMax), max(iMin, iMax)
		cur = append(cur, plotter.XY{X: x(first), Y: ys[first]})
		if second != first {
			cur = append(cur, plotter.XY{X: x(second), Y: ys[second]})
		}
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// extremes returns the indexes of the smallest and largest finite value
// of ys, -1 when it has none.
func extremes(ys []float64) (int, int) {
	iMin, iMax := -1, -1
	for i, y := range ys {
		if math.IsNaN(y) || math.IsInf(y, 0) {
			continue
		}
		if iMin < 0 || y < ys[iMin] {
			iMin = i
		}
		if iMax < 0 || y > ys[iMax] {
			iMax = i
		}
	}
	return iMin, iMax
}

// segRange returns the smallest positive and the largest y over segs, for
// log axes; lo is 0 when there is none.
func segRange(segs ...[]plotter.XYs) (lo, hi float64) {
	for _, ss := range segs {
		for _, s := range ss {
			for _, p := range s {
				if p.Y > 0 && (lo == 0 || p.Y < lo) {
					lo = p.Y
				}
				hi = max(hi, p.Y)
			}
		}
	}
	return lo, hi
}
