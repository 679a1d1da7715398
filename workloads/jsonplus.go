package workloads

import (
	"math/bits"
	"strconv"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// fio's latency buckets (stat.h): values below 2^(platBits+1) ns have a
// bucket each; above, each power of two is split into 2^platBits buckets,
// so a bucket's value is within 1/2^(platBits+1) of the latencies in it.
// json+ prints the non-empty ones as "bins": {"VALUE_NS": COUNT}, which
// fio's tools (fio_jsonplus_clat2csv, fiologparser) read.
const (
	platBits    = 6
	platVal     = 1 << platBits
	platGroupNr = 29
	platNr      = platGroupNr * platVal
)

// platValToIdx is fio's plat_val_to_idx: the bucket of a latency in ns.
func platValToIdx(v uint64) int {
	msb := 0
	if v > 0 {
		msb = bits.Len64(v) - 1
	}
	if msb <= platBits {
		return int(v)
	}
	errorBits := msb - platBits
	base := (errorBits + 1) << platBits
	offset := int((platVal - 1) & (v >> errorBits))
	return min(base+offset, platNr-1)
}

// platIdxToVal is fio's plat_idx_to_val: the value fio prints for a
// bucket, the middle of its range.
func platIdxToVal(idx int) uint64 {
	if idx < platVal<<1 {
		return uint64(idx)
	}
	errorBits := uint(idx>>platBits) - 1
	base := uint64(1) << (errorBits + platBits)
	k := uint64(idx % platVal)
	return base + uint64((float64(k)+0.5)*float64(uint64(1)<<errorBits))
}

// fioBins regroups a latency histogram into fio's buckets: each of the
// histogram's (finer above ~65 µs, 512 ns wide below 1 ms) ranges is
// counted in the bucket of its middle.
func fioBins(h *hdr.Histogram) map[string]int64 {
	counts := map[int]int64{}
	for _, b := range h.Distribution() {
		if b.Count > 0 {
			counts[platValToIdx(uint64(b.From+b.To)/2)] += b.Count
		}
	}
	out := make(map[string]int64, len(counts))
	for idx, n := range counts {
		out[strconv.FormatUint(platIdxToVal(idx), 10)] = n
	}
	return out
}
