package workloads

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// SteadyState is fio's steadystate detection: the job stops once the
// criterion, over a rolling window of Dur sampled every Interval after
// Ramp, stays under Limit (a percentage of the window's mean when Percent).
type SteadyState struct {
	// Criterion is iops, iops_slope, bw, bw_slope, lat or lat_slope.
	Criterion string        `json:"criterion"`
	Limit     float64       `json:"limit"`
	Percent   bool          `json:"percent,omitempty"`
	Dur       time.Duration `json:"duration"`
	Ramp      time.Duration `json:"ramp_time,omitempty"`
	Interval  time.Duration `json:"check_interval,omitempty"`
}

// SteadyStateResult says whether and when the job reached steady state.
type SteadyStateResult struct {
	Attained bool `json:"attained"`
	// AtNs is the run-clock time it was attained.
	AtNs int64 `json:"at_ns,omitempty"`
	// Window holds the last window's samples (IOPS, bytes/s or mean
	// latency in ns), oldest first.
	Window []float64 `json:"window,omitempty"`
}

func parseSteadyState(v string) (SteadyState, error) {
	var s SteadyState
	crit, lim, ok := strings.Cut(strings.ToLower(strings.TrimSpace(v)), ":")
	switch crit {
	case "iops", "iops_slope", "bw", "bw_slope", "lat", "lat_slope":
	default:
		return s, fmt.Errorf("%q: want iops, iops_slope, bw, bw_slope, lat or lat_slope with :LIMIT", v)
	}
	if !ok {
		return s, fmt.Errorf("%q: want CRITERION:LIMIT", v)
	}
	s.Criterion = crit
	s.Percent = strings.HasSuffix(lim, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(lim, "%"), 64)
	if err != nil || f < 0 {
		return s, fmt.Errorf("%q: the limit is not a non-negative number", lim)
	}
	s.Limit = f
	return s, nil
}

// steady reports whether the window meets the criterion: every sample
// within limit of the mean, or the least-squares slope (per sample) under
// it in magnitude.
func (s *SteadyState) steady(window []float64) bool {
	if len(window) == 0 {
		return false
	}
	var mean float64
	for _, v := range window {
		mean += v
	}
	mean /= float64(len(window))
	limit := s.Limit
	if s.Percent {
		limit = mean * s.Limit / 100
	}
	if strings.HasSuffix(s.Criterion, "_slope") {
		return math.Abs(slope(window)) <= limit
	}
	for _, v := range window {
		if math.Abs(v-mean) > limit {
			return false
		}
	}
	return true
}

func slope(y []float64) float64 {
	n := float64(len(y))
	if n < 2 {
		return 0
	}
	var sx, sy, sxy, sxx float64
	for i, v := range y {
		x := float64(i)
		sx, sy, sxy, sxx = sx+x, sy+v, sxy+x*v, sxx+x*x
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// ssCounters are a job's totals, added to by its workers as I/Os complete
// and read by its steady-state monitor.
type ssCounters struct {
	ios, bytes, latNs atomic.Int64
}

// monitorSteadyState samples the job every interval after its ramp and
// calls stop once the window is steady; it returns when ctx is done.
func (e *Engine) monitorSteadyState(ctx context.Context, run *jobRun, stop func()) {
	ss := run.job.SteadyState
	iv := ss.Interval
	if iv <= 0 {
		iv = time.Second
	}
	n := max(int(ss.Dur/iv), 1)
	res := &SteadyStateResult{}
	run.ss = res
	select {
	case <-time.After(run.job.RampTime + ss.Ramp):
	case <-ctx.Done():
		return
	}
	t := time.NewTicker(iv)
	defer t.Stop()
	c := run.counters
	lastIOs, lastBytes, lastLat := c.ios.Load(), c.bytes.Load(), c.latNs.Load()
	var window []float64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ios, bytes, lat := c.ios.Load(), c.bytes.Load(), c.latNs.Load()
		var v float64
		switch strings.TrimSuffix(ss.Criterion, "_slope") {
		case "iops":
			v = float64(ios-lastIOs) / iv.Seconds()
		case "bw":
			v = float64(bytes-lastBytes) / iv.Seconds()
		case "lat":
			v = float64(lat-lastLat) / float64(max(ios-lastIOs, 1))
		}
		lastIOs, lastBytes, lastLat = ios, bytes, lat
		if window = append(window, v); len(window) > n {
			window = window[1:]
		}
		res.Window = append(res.Window[:0], window...)
		if len(window) == n && ss.steady(window) {
			res.Attained, res.AtNs = true, e.now()
			stop()
			return
		}
	}
}
