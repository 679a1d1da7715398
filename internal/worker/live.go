package worker

import (
	"fmt"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/nvmf-chaos/nvmf-chaos/workloads"
)

// liveKeep bounds the intervals a worker keeps for the harness's live
// views: the harness polls every second, so this is minutes of slack.
// Older ones are dropped; the final record is whole regardless.
const liveKeep = 4096

// LiveInterval is a closed interval as the harness's live views take it,
// its latency histogram encoded (hdr's compressed V2 form).
type LiveInterval struct {
	Seq      int64                    `json:"seq"`
	Interval workloads.ClosedInterval `json:"interval"`
	Latency  []byte                   `json:"latency,omitempty"`
	// hist is the copied histogram until a request encodes it: the
	// compression runs on the HTTP handler, never on the I/O goroutine.
	hist *hdr.Histogram
}

// liveBuffer is the engine's interval observer inside a worker: it keeps
// the recent intervals, numbered, for GET /intervals.
type liveBuffer struct {
	mu   sync.Mutex
	next int64
	buf  []LiveInterval
}

// ObserveInterval runs on the engine's I/O goroutine, once per interval:
// it only copies the histogram the engine reuses after the call; since
// encodes it when the harness asks.
func (b *liveBuffer) ObserveInterval(ci workloads.ClosedInterval) {
	var h *hdr.Histogram
	if ci.Latency != nil && ci.Latency.TotalCount() > 0 {
		h = ci.Latency.Clone()
	}
	ci.Latency = nil
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, LiveInterval{Seq: b.next, Interval: ci, hist: h})
	b.next++
	if len(b.buf) > liveKeep {
		b.buf = append(b.buf[:0], b.buf[len(b.buf)-liveKeep:]...)
	}
}

// since returns the intervals numbered from seq on.
func (b *liveBuffer) since(seq int64) []LiveInterval {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := 0
	for i < len(b.buf) && b.buf[i].Seq < seq {
		i++
	}
	for j := i; j < len(b.buf); j++ {
		if li := &b.buf[j]; li.hist != nil {
			li.Latency, _ = li.hist.Encode(hdr.V2CompressedEncodingCookieBase)
			li.hist = nil
		}
	}
	return append([]LiveInterval(nil), b.buf[i:]...)
}

// Closed turns a live interval back into the engine's form, histogram
// decoded, for an IntervalObserver on the harness's side.
func (li LiveInterval) Closed() (workloads.ClosedInterval, error) {
	ci := li.Interval
	if len(li.Latency) > 0 {
		h, err := hdr.Decode(li.Latency)
		if err != nil {
			return ci, fmt.Errorf("interval %d: latency: %w", li.Seq, err)
		}
		ci.Latency = h
	}
	return ci, nil
}
