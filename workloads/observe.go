package workloads

import (
	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// IntervalObserver receives the engine's intervals as the recorders close
// them, for live views (a progress line, Prometheus metrics). It is the
// recording side's hook, not a per-I/O one: each worker calls it once per
// direction per interval (DefaultInterval) in which it completed something.
//
// ObserveInterval is called from the workers' goroutines, concurrently, and
// holds up the calling worker: it must be safe for concurrent use and quick.
type IntervalObserver interface {
	ObserveInterval(ClosedInterval)
}

// ClosedInterval is what one worker completed in one direction during
// [StartNs, StartNs+LengthNs) of the run clock.
//
// An interval is delivered when the worker's first completion of a later
// interval arrives, or at the end of the run: while I/O stalls (a fault)
// nothing is delivered, and the stalled interval comes late, when I/O
// resumes. An observer that wants rates keys them by StartNs, not by arrival.
// The same (Job, Worker, Dir, StartNs) may be delivered twice around the end
// of the warmup, once for each part; summing them is correct.
type ClosedInterval struct {
	Job    string
	Worker int // engine-wide worker index
	Dir    Direction
	// Warmup marks I/O submitted during the job's ramp: live views show it,
	// the Result does not count it.
	Warmup             bool
	StartNs, LengthNs  int64
	IOs, Bytes, Errors int64
	// Latency holds the successful I/Os' submit→complete latencies in ns.
	// It is the recorder's own histogram, valid only during the call (it is
	// reset after): merge or copy what is needed. nil when latency recording
	// is off.
	Latency *hdr.Histogram
}

// WithObserver makes the engine hand every closed interval to o (see
// IntervalObserver). Default: none.
func WithObserver(o IntervalObserver) Option { return func(e *Engine) { e.observer = o } }

// observe tells the observer about the recorder's current interval, before
// flush clears it.
func (r *dirRecorder) observe() {
	if r.obs == nil {
		return
	}
	ci := r.meta
	ci.StartNs, ci.LengthNs = r.curIdx*r.interval, r.interval
	ci.IOs, ci.Bytes, ci.Errors = r.ios, r.bytes, r.errs
	if r.latency {
		ci.Latency = r.cur
	}
	r.obs.ObserveInterval(ci)
}

// setObserver makes the recorder report its intervals to o, labelled as
// meta says.
func (r *dirRecorder) setObserver(o IntervalObserver, meta ClosedInterval) {
	r.obs, r.meta = o, meta
	if r.latency && o != nil && r.cur == nil {
		r.cur = newLatencyHistogram()
	}
}

// observeWith connects the worker's recorders to o, adding warmup
// recorders when the job has a ramp: a live view should show the warmup's
// I/O even though the Result leaves it out.
func (w *worker) observeWith(o IntervalObserver) {
	if o == nil {
		return
	}
	if w.job.RampTime > 0 {
		w.warm = make([]dirRecorder, numDirs)
	}
	for d := range numDirs {
		meta := ClosedInterval{Job: w.job.Name, Worker: w.id, Dir: Direction(d)}
		w.rec[d].setObserver(o, meta)
		if w.warm != nil {
			w.warm[d] = newDirRecorder(int64(w.e.interval), w.e.latency)
			meta.Warmup = true
			w.warm[d].setObserver(o, meta)
			w.warm[d].discard = true
			w.rec[d].warm = &w.warm[d]
		}
	}
}

// flushWarm delivers what remains of the warmup (a run cancelled during
// its ramp); called once the workers are done.
func (w *worker) flushWarm() {
	for d := range w.warm {
		w.warm[d].flush()
	}
}
