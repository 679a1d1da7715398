package workloads

import (
	"cmp"
	"fmt"
	"time"
)

// rateCycle is what a worker did in one direction since its cycle began.
type rateCycle struct {
	start, bytes, ios int64
}

// defaultRateCycle is fio's ratecycle.
const defaultRateCycle = time.Second

// checkMinRate counts a completed I/O and, once a ratecycle has passed,
// checks the cycle's rate against ratemin and rate_iops_min as fio does
// for each job clone: falling short stops the worker with fio's message.
func (w *worker) checkMinRate(now int64, dir Direction, n int) {
	c := &w.cycle[dir]
	if c.start == 0 {
		c.start = w.rampEndNs
	}
	c.bytes += int64(n)
	c.ios++
	el := now - c.start
	if el < int64(cmp.Or(w.job.RateCycle, defaultRateCycle)) {
		return
	}
	bps, iops := c.bytes*1e9/el, c.ios*1e9/el
	msg := ""
	switch {
	case w.job.RateMin[dir] > 0 && bps < w.job.RateMin[dir]:
		msg = fmt.Sprintf("rate_min=%dB/s not met, got %dB/s", w.job.RateMin[dir], bps)
	case w.job.RateIOPSMin[dir] > 0 && iops < w.job.RateIOPSMin[dir]:
		msg = fmt.Sprintf("rate_iops_min=%d not met, got %d", w.job.RateIOPSMin[dir], iops)
	}
	if msg != "" && w.fail == nil {
		w.fail = &jobFailure{errno: errRateMin, fn: "check_min_rate", msg: msg}
		w.stopping = true
	}
	*c = rateCycle{start: now}
}
