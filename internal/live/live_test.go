package live

import (
	"math"
	"sync"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a settable clock for Runs under test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// lat builds an engine-like histogram holding n values of each latency.
func lat(t *testing.T, vals map[time.Duration]int64) *hdr.Histogram {
	t.Helper()
	h := hdr.New(1e3, 60e9, 3)
	for v, n := range vals {
		if err := h.RecordValues(int64(v), n); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

const ms = int64(time.Millisecond)

// Directions of an Interval.
const (
	read  = 0
	write = 1
)

// interval is an Interval of 100 ms starting at interval idx.
func interval(job string, dir int, idx, ios int64, h *hdr.Histogram) Interval {
	return Interval{Job: job, Dir: dir, StartNs: idx * 100 * ms, LengthNs: 100 * ms,
		IOs: ios, Bytes: ios * 4096, Latency: h}
}

// TestSnapshotRates checks the recent window: steady I/O, the start of the
// run (fewer intervals than the window), and a stall (nothing delivered).
func TestSnapshotRates(t *testing.T) {
	clk := &fakeClock{}
	r := New(Info{Scenario: "s1"}, WithClock(clk.Now))
	clk.Set(t0)
	r.Begin(t0, 10*time.Second)
	o := r.Workload("oltp", "vol0")
	for i := int64(0); i < 20; i++ {
		o.Observe(interval("j", read, i, 1000, lat(t, map[time.Duration]int64{time.Millisecond: 1000})))
	}
	tests := []struct {
		name string
		at   time.Duration
		iops float64
		p99  time.Duration
	}{
		{"steady", 2050 * time.Millisecond, 10000, time.Millisecond},
		{"start of the run", 350 * time.Millisecond, 10000, time.Millisecond},
		{"stalled", 3050 * time.Millisecond, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk.Set(t0.Add(tc.at))
			s := r.Snapshot()
			if s.Elapsed != tc.at || s.Total != 10*time.Second || len(s.Workloads) != 1 {
				t.Fatalf("snapshot %+v", s)
			}
			w := s.Workloads[0]
			if math.Abs(w.IOPS-tc.iops) > 1 || math.Abs(w.BW-tc.iops*4096) > 4096 {
				t.Errorf("iops %g bw %g; want %g", w.IOPS, w.BW, tc.iops)
			}
			if d := w.P99 - tc.p99; d < -tc.p99/100 || d > tc.p99/100 {
				t.Errorf("p99 %v; want %v", w.P99, tc.p99)
			}
			if w.IOs != 20000 {
				t.Errorf("total ios %d; want 20000", w.IOs)
			}
		})
	}
}
