package workloads

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestLatencyGeometry computes the histogram geometry from latencyLowest
// and latencyDigits as hdr.New does: the constants latencyIndex uses must
// follow when either changes.
func TestLatencyGeometry(t *testing.T) {
	unit := int(math.Floor(math.Log2(float64(latencyLowest))))
	half := int(math.Ceil(math.Log2(2*math.Pow10(latencyDigits)))) - 1
	if unit != latUnitMagnitude || half != latHalfMagnitude {
		t.Fatalf("unit magnitude %d, half magnitude %d; the constants say %d, %d", unit, half, latUnitMagnitude, latHalfMagnitude)
	}
}

// TestLatencyCountsMatchHDR checks that the dense counts, folded, give the
// very histogram hdr's RecordValue builds from the same latencies: same
// bucket for every value, same clamping, and nothing left after a fold.
func TestLatencyCountsMatchHDR(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 16))
	random := make([]int64, 10000)
	for i := range random {
		// Log-uniform over the range and beyond, so every bucket size is hit.
		random[i] = int64(1) << rng.IntN(37) >> 1
		random[i] += rng.Int64N(random[i] + 1)
	}
	var edges []int64
	for s := 0; s < 37; s++ {
		for _, d := range []int64{-1, 0, 1} {
			edges = append(edges, int64(1)<<s+d)
		}
	}
	tests := []struct {
		name   string
		values []int64
	}{
		{"range ends", []int64{latencyLowest, latencyHighest}},
		{"clamped", []int64{0, 1, latencyLowest - 1, latencyHighest + 1, 1 << 62}},
		{"powers of two and neighbours", edges},
		{"random", random},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := newLatencyHistogram()
			c := newLatencyCounts()
			for _, v := range tc.values {
				if err := want.RecordValue(min(max(v, latencyLowest), latencyHighest)); err != nil {
					t.Fatal(err)
				}
				c.add(v)
			}
			got := newLatencyHistogram()
			c.fold(got)
			if !got.Equals(want) {
				t.Fatalf("folded histogram differs from hdr's: total %d vs %d, p50 %d vs %d, max %d vs %d",
					got.TotalCount(), want.TotalCount(), got.ValueAtQuantile(50), want.ValueAtQuantile(50), got.Max(), want.Max())
			}
			for i, n := range c.counts {
				if n != 0 {
					t.Fatalf("count %d left after fold: %d", i, n)
				}
			}
			// The packed histogram an interval keeps gets the same.
			for _, v := range tc.values {
				c.add(v)
			}
			packed := newPackedLatency()
			c.fold(packed)
			for _, p := range []float64{0, 50, 99, 99.9, 100} {
				if g, w := packed.ValueAtPercentile(p), want.ValueAtPercentile(p); g != w || packed.TotalCount() != want.TotalCount() {
					t.Fatalf("packed p%v %d of %d, hdr %d of %d", p, g, packed.TotalCount(), w, want.TotalCount())
				}
			}
		})
	}
	if n := len(newLatencyHistogram().Export().Counts); latencyCountsSize > n {
		t.Errorf("latencyCountsSize %d, hdr has only %d buckets", latencyCountsSize, n)
	}
}
