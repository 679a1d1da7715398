package workloads

import (
	"sync"
	"testing"
	"time"
)

// intervalLog is an IntervalObserver that keeps what it is told.
type intervalLog struct {
	mu  sync.Mutex
	ivs []ClosedInterval
	n   []int64 // latency count of each interval, read during the call
}

func (l *intervalLog) ObserveInterval(ci ClosedInterval) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	if ci.Latency != nil {
		n = ci.Latency.TotalCount()
	}
	ci.Latency = nil // only valid during the call
	l.ivs = append(l.ivs, ci)
	l.n = append(l.n, n)
}

// TestObserverSumsToResult proves the observer sees every measured I/O
// exactly once: its intervals add up to the Result's totals, per job and
// direction, and the warmup arrives flagged.
func TestObserverSumsToResult(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		fail bool
	}{
		{"randrw with ramp", []string{"rw", "randrw", "numjobs", "2", "rate_iops", "5000", "ramp_time", "100ms", "runtime", "300ms", "time_based", "1"}, false},
		{"size bound, no ramp", []string{"rw", "randread", "size", "4m", "iodepth", "8"}, false},
		{"errors", []string{"rw", "randwrite", "size", "400k", "iodepth", "4"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := job(t, "obs", tc.kv...)
			var dev Device = openT(t, "null://64m", j)
			if tc.fail {
				dev = &failingDevice{Device: dev}
			}
			log := &intervalLog{}
			iv := 20 * time.Millisecond
			r := runT(t, dev, []Job{j}, WithObserver(log), WithInterval(iv))
			var got [numDirs]DirResult
			var warm int
			for i, ci := range log.ivs {
				if ci.Job != "obs" || ci.LengthNs != int64(iv) || ci.StartNs%int64(iv) != 0 {
					t.Fatalf("interval %+v: wrong job, length or alignment", ci)
				}
				if ci.Warmup {
					warm++
					continue
				}
				g := &got[ci.Dir]
				g.IOs, g.Bytes, g.Errors, g.Latency.N = g.IOs+ci.IOs, g.Bytes+ci.Bytes, g.Errors+ci.Errors, g.Latency.N+log.n[i]
			}
			for d := range numDirs {
				want := r.Jobs[0].Dir(Direction(d))
				g := got[d]
				if g.IOs != want.IOs || g.Bytes != want.Bytes || g.Errors != want.Errors || g.Latency.N != want.Latency.N {
					t.Errorf("dir %d: observed ios %d bytes %d errors %d latencies %d; result %d %d %d %d",
						d, g.IOs, g.Bytes, g.Errors, g.Latency.N, want.IOs, want.Bytes, want.Errors, want.Latency.N)
				}
			}
			if wantWarm := j.RampTime > 0; (warm > 0) != wantWarm {
				t.Errorf("%d warmup intervals; want some: %v", warm, wantWarm)
			}
			if r.Jobs[0].Read.IOs+r.Jobs[0].Write.IOs == 0 {
				t.Error("the run did no I/O")
			}
		})
	}
}
