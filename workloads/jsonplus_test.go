package workloads

import (
	"encoding/json"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestPlatBuckets checks the bucket mapping against values worked out by
// hand from fio's stat.c, and that every latency lies within half a bucket
// of the value fio prints for its bucket.
func TestPlatBuckets(t *testing.T) {
	for _, tc := range []struct {
		v   uint64
		idx int
		val uint64
	}{
		{0, 0, 0}, {127, 127, 127}, {128, 128, 129}, {255, 191, 255}, {256, 192, 258},
		{1000, 317, 1004}, {1 << 40, platNr - 1, 0},
	} {
		idx := platValToIdx(tc.v)
		if idx != tc.idx || tc.val != 0 && platIdxToVal(idx) != tc.val {
			t.Errorf("value %d: bucket %d (value %d), want %d (%d)", tc.v, idx, platIdxToVal(idx), tc.idx, tc.val)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		v := rng.Uint64N(1 << 34)
		got := platIdxToVal(platValToIdx(v))
		if half := bucketWidth(v) / 2; absDiff(got, v) > max(half, 1) {
			t.Fatalf("value %d: bucket value %d, more than half a bucket (%d) away", v, got, half)
		}
	}
}

// bucketWidth is the width of fio's bucket holding v.
func bucketWidth(v uint64) uint64 {
	if msb := bits.Len64(v) - 1; msb > platBits {
		return 1 << (msb - platBits)
	}
	return 1
}

func absDiff(a, b uint64) uint64 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestJSONPlusBins writes json+ for latencies spread from 1 µs to 100 ms,
// reads the bins back as fio's tools do and checks them: every I/O counted
// once, keys that are fio bucket values, and percentiles computed from the
// bins the way fio computes them (stat.c calc_clat_percentiles) within a
// bucket of the exact ones.
func TestJSONPlusBins(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	h := newLatencyHistogram()
	exact := make([]int64, 20000)
	for i := range exact {
		exact[i] = int64(math.Exp(rng.Float64()*math.Log(1e5)) * 1e3) // log-uniform 1µs..100ms
		_ = h.RecordValue(exact[i])
	}
	sort.Slice(exact, func(a, b int) bool { return exact[a] < exact[b] })
	lat, err := summarize(h)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		kv        []string
		clat, lat bool // blocks with bins
	}{
		{"clat", nil, true, false},
		{"clat and lat", []string{"lat_percentiles", "1"}, true, true},
		{"no percentiles, no bins", []string{"clat_percentiles", "0"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, "p", append([]string{"rw", "randread"}, tc.kv...)...)
			r := &Result{Jobs: []JobResult{{Name: "p", Job: j, Read: DirResult{IOs: h.TotalCount(), Bytes: 4096 * h.TotalCount(), RuntimeNs: 1e9, Latency: lat}}}}
			var b strings.Builder
			if err := WriteJSONPlus(&b, r, time.Now()); err != nil {
				t.Fatal(err)
			}
			var out struct {
				Jobs []struct {
					Read map[string]json.RawMessage `json:"read"`
				} `json:"jobs"`
			}
			if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
				t.Fatal(err)
			}
			for block, want := range map[string]bool{"clat_ns": tc.clat, "lat_ns": tc.lat, "slat_ns": false} {
				var l struct {
					Bins map[string]int64 `json:"bins"`
				}
				if err := json.Unmarshal(out.Jobs[0].Read[block], &l); err != nil {
					t.Fatalf("%s: %v", block, err)
				}
				if (len(l.Bins) > 0) != want {
					t.Errorf("%s: %d bins, want bins: %v", block, len(l.Bins), want)
				}
				if want {
					checkBins(t, block, l.Bins, exact)
				}
			}
		})
	}
	var plain strings.Builder
	j := job(t, "p", "rw", "randread")
	if err := WriteJSON(&plain, &Result{Jobs: []JobResult{{Name: "p", Job: j, Read: DirResult{IOs: 1, Latency: lat}}}}, time.Now()); err != nil || strings.Contains(plain.String(), `"bins"`) {
		t.Errorf("plain JSON has bins (err %v)", err)
	}
}

// checkBins reads bins back as fio_jsonplus_clat2csv does and checks them
// against the exact latencies.
func checkBins(t *testing.T, block string, bins map[string]int64, exact []int64) {
	t.Helper()
	type bin struct{ v, n uint64 }
	var list []bin
	var total uint64
	for k, n := range bins {
		v, err := strconv.ParseUint(k, 10, 64)
		if err != nil || n <= 0 || platIdxToVal(platValToIdx(v)) != v {
			t.Fatalf("%s: bin %q: %d: not a fio bucket value (%v)", block, k, n, err)
		}
		list = append(list, bin{v, uint64(n)})
		total += uint64(n)
	}
	if total != uint64(len(exact)) {
		t.Fatalf("%s: bins count %d I/Os, want %d", block, total, len(exact))
	}
	sort.Slice(list, func(a, b int) bool { return list[a].v < list[b].v })
	for _, p := range []float64{1, 10, 50, 90, 99, 99.9} {
		var sum uint64
		var got uint64
		for _, b := range list {
			if sum += b.n; float64(sum) >= p/100*float64(total) {
				got = b.v
				break
			}
		}
		want := uint64(exact[int(math.Ceil(p/100*float64(len(exact))))-1])
		// fio's bucket, and the histogram's 512 ns (below 1 ms) or 0.1% range.
		tol := bucketWidth(want) + max(512, want/1000)
		if absDiff(got, want) > tol {
			t.Errorf("%s: p%g from bins %d, exact %d (more than %d apart)", block, p, got, want, tol)
		}
	}
}
