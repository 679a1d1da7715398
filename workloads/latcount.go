package workloads

import "math/bits"

// latencyCounts is the per-I/O side of a dirRecorder's latency histogram:
// a dense count per bucket with exactly the bucket layout of
// newLatencyHistogram, incremented without hdr's call and checks (errors
// for values the recorder clamps anyway, a running total, min and max).
// That took hdr's RecordValue from ~10 ns to ~2 ns per I/O, most of the
// recording overhead on null://. fold moves the counts into an hdr
// histogram once per interval.
type latencyCounts struct {
	counts []int64
}

// The geometry of hdr.New(latencyLowest, latencyHighest, latencyDigits),
// as constants so that latencyIndex compiles to a few instructions: as
// variables, loads and shift checks made it about 30 per I/O (callgrind).
// TestLatencyGeometry computes them as hdr does and checks them.
const (
	latUnitMagnitude = 9  // floor(log2(latencyLowest))
	latHalfMagnitude = 10 // ceil(log2(2 * 10^latencyDigits)) - 1
	latSubBucketHalf = int64(1) << latHalfMagnitude
	latSubBucketMask = (2*latSubBucketHalf - 1) << latUnitMagnitude
)

var latencyCountsSize = latencyIndex(latencyHighest) + 1

// latencyIndex is hdr's counts index of v, for v in [latencyLowest,
// latencyHighest]. The shift is masked to 63, which it never exceeds (at
// most 53 for v < 2^63), so the compiler emits a bare shift.
func latencyIndex(v int64) int {
	bucket := bits.Len64(uint64(v|latSubBucketMask)) - latUnitMagnitude - latHalfMagnitude - 1
	sub := v >> (uint(bucket+latUnitMagnitude) & 63)
	return int(int64(bucket+1)<<latHalfMagnitude + sub - latSubBucketHalf)
}

// latencyAt is the lowest value of the bucket at counts index i: what hdr
// maps back to i.
func latencyAt(i int) int64 {
	bucket := i>>latHalfMagnitude - 1
	sub := int64(i)&(latSubBucketHalf-1) + latSubBucketHalf
	if bucket < 0 {
		sub -= latSubBucketHalf
		bucket = 0
	}
	return sub << (bucket + latUnitMagnitude)
}

func newLatencyCounts() latencyCounts {
	return latencyCounts{counts: make([]int64, latencyCountsSize)}
}

// add counts one latency, clamped into the histogram's range.
func (c *latencyCounts) add(v int64) {
	c.counts[latencyIndex(min(max(v, latencyLowest), latencyHighest))]++
}

// valueRecorder is a latency histogram of newLatencyHistogram's layout:
// *hdr.Histogram or *hdr.PackedHistogram.
type valueRecorder interface {
	RecordValues(v, n int64) error
}

// fold adds the counts to h (nil drops them) and clears them. It scans
// every bucket: call it per interval, not per I/O.
func (c *latencyCounts) fold(h valueRecorder) {
	for i, n := range c.counts {
		if n != 0 {
			if h != nil {
				_ = h.RecordValues(latencyAt(i), n) // a bucket's own value: cannot fail
			}
			c.counts[i] = 0
		}
	}
}
