package reports

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms span 1 µs to 60 s with 3 significant digits (the
// workloads recorders' range); values are nanoseconds and recorders clamp into that range.
const (
	LatencyLowestNs  = int64(time.Microsecond)
	LatencyHighestNs = int64(60 * time.Second)
	LatencyDigits    = 3
)

// NewLatencyHistogram returns an empty histogram of the geometry results
// carry, for recorders and tests.
func NewLatencyHistogram() *hdr.Histogram {
	return hdr.New(LatencyLowestNs, LatencyHighestNs, LatencyDigits)
}

// EncodeHistogram renders h as a Histograms slot entry: "" when empty, else
// V2 compressed base64.
func EncodeHistogram(h *hdr.Histogram) (string, error) {
	if h == nil || h.TotalCount() == 0 {
		return "", nil
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encoding latency histogram: %w", err)
	}
	return string(b), nil
}

// LatencyStats summarises the successful I/Os' latency in a window.
type LatencyStats struct {
	N       int64   `json:"n"`
	P50Ns   int64   `json:"p50Ns"`
	P90Ns   int64   `json:"p90Ns"`
	P99Ns   int64   `json:"p99Ns"`
	P999Ns  int64   `json:"p999Ns"`
	P9999Ns int64   `json:"p9999Ns"`
	MaxNs   int64   `json:"maxNs"`
	MeanNs  float64 `json:"meanNs"`
}

var statPercentiles = []float64{50, 90, 99, 99.9, 99.99}

func latencyStats(h *hdr.Histogram) LatencyStats {
	if h == nil || h.TotalCount() == 0 {
		return LatencyStats{}
	}
	p := h.ValueAtPercentilesSlice(statPercentiles)
	return LatencyStats{N: h.TotalCount(), P50Ns: p[0], P90Ns: p[1], P99Ns: p[2], P999Ns: p[3], P9999Ns: p[4],
		MaxNs: h.Max(), MeanNs: h.Mean()}
}

// quantile returns a LatencyStats field by its metric suffix ("p99").
func (l LatencyStats) quantile(q string) (float64, bool) {
	switch q {
	case "p50":
		return float64(l.P50Ns), true
	case "p90":
		return float64(l.P90Ns), true
	case "p99":
		return float64(l.P99Ns), true
	case "p99.9":
		return float64(l.P999Ns), true
	case "p99.99":
		return float64(l.P9999Ns), true
	case "max":
		return float64(l.MaxNs), true
	case "mean":
		return l.MeanNs, true
	}
	return 0, false
}

// slotHistograms are a workload's slots decoded once, read and write merged
// (latency SLOs judge all successful I/Os); nil marks an empty slot.
type slotHistograms struct {
	startNs, slotNs int64
	slots           []*hdr.PackedHistogram
}

// decodeSlots decodes every slot, in parallel: decoding (zlib) is the one
// costly step of metric computation and slots are independent.
func decodeSlots(h *Histograms) (*slotHistograms, error) {
	s := &slotHistograms{startNs: h.StartNs, slotNs: h.SlotNs, slots: make([]*hdr.PackedHistogram, h.Len())}
	errs := make([]error, h.Len())
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), max(h.Len(), 1))
	for w := range workers {
		wg.Go(func() {
			for i := w; i < h.Len(); i += workers {
				s.slots[i], errs[i] = decodeSlot(h.Read[i], h.Write[i])
				if errs[i] != nil {
					errs[i] = fmt.Errorf("histogram slot %d: %w", i, errs[i])
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func decodeSlot(read, write string) (*hdr.PackedHistogram, error) {
	var out *hdr.PackedHistogram
	for _, enc := range []string{read, write} {
		if enc == "" {
			continue
		}
		p, err := hdr.DecodePacked([]byte(enc))
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = p
		} else {
			out.Merge(p)
		}
	}
	return out, nil
}

// merge returns the distribution of slots [i, j) as one histogram.
func (s *slotHistograms) merge(i, j int) *hdr.Histogram {
	h := NewLatencyHistogram()
	for _, p := range s.slots[i:j] {
		if p != nil {
			p.MergeInto(h)
		}
	}
	return h
}
