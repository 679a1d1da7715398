package workloads

import (
	"context"
	"strconv"
	"testing"
)

// BenchmarkEngineNull measures the engine's own cost per I/O against the
// null backend, with and without latency recording: ns/op is per I/O,
// allocs/op must stay 0 (setup is amortised), iops is what one worker can
// drive, and the two variants' ratio is the recording overhead. The observe
// variants add an IntervalObserver that merges every interval's histogram,
// as the live view does: their allocations are per interval, so allocs/op
// must stay 0.
func BenchmarkEngineNull(b *testing.B) {
	for _, bc := range []struct {
		name    string
		record  bool
		observe bool
		rw      string
		depth   int
	}{
		{"randread/qd32/record", true, false, "randread", 32},
		{"randread/qd32/norecord", false, false, "randread", 32},
		{"randread/qd32/observe", true, true, "randread", 32},
		{"randrw/qd1/record", true, false, "randrw", 1},
		{"randrw/qd1/observe", true, true, "randrw", 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			j := job(b, "bench", "rw", bc.rw, "iodepth", strconv.Itoa(bc.depth), "size", strconv.Itoa(b.N*4096))
			var opts []Option
			if bc.observe {
				opts = append(opts, WithObserver(mergingObserver{}))
			}
			e, err := NewEngine(openT(b, "null://1p", j), []Job{j}, opts...)
			if err != nil {
				b.Fatal(err)
			}
			e.latency = bc.record
			r := benchRun(b, e)
			if ios := r.Jobs[0].Read.IOs + r.Jobs[0].Write.IOs; ios != int64(b.N) {
				b.Fatalf("ran %d I/Os, want %d", ios, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "iops")
		})
	}
}

// mergingObserver does per interval what a live view does: merge the
// interval's histogram into its own.
type mergingObserver struct{}

func (mergingObserver) ObserveInterval(ci ClosedInterval) {
	if ci.Latency != nil {
		h := newLatencyHistogram()
		h.Merge(ci.Latency)
	}
}

// benchRun runs e as a benchmark's timed part, allocations reported.
func benchRun(b *testing.B, e *Engine) *Result {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	r, err := e.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	return r
}
