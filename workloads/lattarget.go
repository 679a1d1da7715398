package workloads

import (
	"fmt"
	"time"
)

// latSearch is one worker's latency_target search, fio's lat_target_*
// (io_u.c): the queue depth starts at 1 and doubles while each window of
// latency_window meets the target (latency_percentile of its I/Os within
// latency_target), bisects between the last depth that met it and the
// first that did not once one fails, and settles when the next depth would
// be the same. Then, unless latency_run keeps it adjusting, the worker
// drains, resets its statistics, runs one more window at that depth and
// stops: the job reports that window alone, at latency_depth.
type latSearch struct {
	target, window int64 // ns
	pct            float64
	keepRunning    bool // latency_run
	maxDepth       int  // iodepth

	qd, low, high, stable int
	cycleStart            int64 // run clock
	ios, failed           int64 // completions of this window, and those over target
	// draining holds new I/O until the I/O in flight completed (fio's
	// quiesce) after a ramp down or before the final window; reset then
	// clears the statistics.
	draining, reset, endRun bool
}

// errTimedOut is ETIMEDOUT, fio's error for a latency target missed at
// depth 1.
const errTimedOut = 110

func newLatSearch(j *Job) *latSearch {
	if j.LatencyTarget <= 0 {
		return nil
	}
	return &latSearch{
		target: int64(j.LatencyTarget), window: int64(j.LatencyWindow), pct: j.latencyPercentile(),
		keepRunning: j.LatencyRun, maxDepth: j.IODepth, qd: 1, low: 1, high: j.IODepth,
	}
}

// latencyPercentile is latency_percentile, 100 unless set.
func (j *Job) latencyPercentile() float64 {
	if j.LatencyPercentile > 0 {
		return j.LatencyPercentile
	}
	return 100
}

// depthLimit is how many ops the worker keeps in flight now.
func (w *worker) depthLimit() int {
	if w.lat == nil || w.purpose != forWorkload {
		return w.depth
	}
	return w.lat.qd
}

// latHolds reports whether the search holds new I/O back while the I/O in
// flight drains; once drained, it starts the next window.
func (w *worker) latHolds(now int64) bool {
	l := w.lat
	if l == nil || !l.draining {
		return false
	}
	if w.outstanding > 0 {
		return true // woken by their completions
	}
	l.draining = false
	if l.reset {
		l.reset = false
		w.resetStats(now)
	}
	l.newCycle(now)
	return false
}

func (l *latSearch) newCycle(now int64) { l.cycleStart, l.ios, l.failed = now, 0, 0 }

// latCompleted accounts a measured completion of latency lat: over the
// target with latency_percentile=100, the depth drops at once, and at
// depth 1 the job fails as fio's does ("max latency exceeded").
func (w *worker) latCompleted(lat, now int64) {
	l := w.lat
	l.ios++
	if lat > l.target {
		if l.pct < 100 {
			l.failed++
		} else if !l.rampDown() && w.fail == nil {
			w.fail = &jobFailure{errno: errTimedOut, fn: "max latency exceeded",
				msg: fmt.Sprintf("latency of %d nsec exceeds specified max (%d nsec)", lat, l.target)}
			w.stopping = true
			return
		}
	}
	if l.draining || now-l.cycleStart < l.window || l.ios == 0 {
		return
	}
	if float64(l.ios-l.failed)*100/float64(l.ios) >= l.pct {
		if l.rampUp() {
			w.stopping = true // the final window met the target: done
		}
		l.newCycle(now)
	} else {
		l.rampDown()
	}
}

// rampDown is fio's __lat_target_failed: bisect down and drain before
// the next window. At depth 1 there is nowhere to go: false.
func (l *latSearch) rampDown() bool {
	if l.qd == 1 {
		return false
	}
	l.high = l.qd
	if l.qd == l.low {
		l.low--
	}
	l.qd = (l.qd + l.low) / 2
	l.stable = 0
	l.draining = true
	return true
}

// rampUp is fio's lat_target_success; it reports whether the search is
// done (the final window met the target too).
func (l *latSearch) rampUp() bool {
	prev := l.qd
	l.low = l.qd
	if l.qd+1 == l.high {
		// Stuck one below a depth that failed once: retry it now and then.
		if l.stable++; l.stable >= 3 {
			l.high++
			l.stable = 0
		}
	}
	if l.high != l.maxDepth {
		l.qd = (l.qd + l.high) / 2
	} else {
		l.qd *= 2
	}
	l.qd = min(l.qd, l.maxDepth)
	if l.keepRunning || l.qd != prev {
		return false
	}
	if l.endRun {
		return true
	}
	l.endRun, l.draining, l.reset = true, true, true
	return false
}

// resetStats starts the worker's measurement over at now, as fio's
// reset_all_stats does before the final window: recorded I/O, the byte and
// I/O budgets and the runtime count from here.
func (w *worker) resetStats(now int64) {
	for d := range w.rec {
		w.rec[d].clear()
	}
	w.sync.rec.clear()
	w.rampEndNs, w.issued, w.ios, w.lastNs = now, 0, 0, 0
	if w.job.Runtime > 0 {
		w.endNs = now + int64(w.job.Runtime)
	}
	w.cycle = [numDirs]rateCycle{}
}

// jobFailure is why a worker stopped in error, in fio's terms: the errno
// the job reports, the function fio names and the message.
type jobFailure struct {
	errno   int
	fn, msg string
}

// scaleNs prints a duration in fio's units of its latency target line.
func scaleNs(ns int64) string {
	switch {
	case ns < int64(time.Microsecond):
		return fmt.Sprintf("%dnsec", ns)
	case ns < int64(time.Millisecond):
		return fmt.Sprintf("%.2fusec", float64(ns)/1e3)
	case ns < int64(time.Second):
		return fmt.Sprintf("%.2fmsec", float64(ns)/1e6)
	}
	return fmt.Sprintf("%.2fsec", float64(ns)/1e9)
}

// errno is fio's error number of a job that stopped in error; records
// from before Errno was kept only stopped for ratemin.
func (j *JobResult) errno() int {
	if j.Errno != 0 {
		return j.Errno
	}
	return errRateMin
}
